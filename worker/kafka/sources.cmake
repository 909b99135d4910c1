set(STEMTAG_KAFKA_SOURCES
  kafka/kafka_placeholder.c
)

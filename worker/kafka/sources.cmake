set(STEMTAG_KAFKA_SOURCES
  kafka/worker.c
  kafka/worker_stats.c
  kafka/offset_tracker.c
  kafka/route.c
  kafka/topic_read.c
  kafka/replay.c
)

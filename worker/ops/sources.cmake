set(STEMTAG_OPS_SOURCES
  ops/log.c
)

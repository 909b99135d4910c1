set(STEMTAG_OPS_SOURCES
  ops/log.c
  ops/config.c
  ops/config_pipeline.c
)

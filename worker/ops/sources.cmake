set(STEMTAG_OPS_SOURCES
  ops/log.c
  ops/config.c
  ops/config_pipeline.c
  ops/metrics.c
  ops/http.c
  ops/reload.c
)

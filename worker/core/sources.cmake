# Sources of the pure core library (stemtag_core). Paths relative to worker/.
set(STEMTAG_CORE_SOURCES
  core/hash.c
  core/taxonomy.c
  core/classify.c
  core/learn.c
)

# Sources of the pure core library (stemtag_core). Paths relative to worker/.
set(STEMTAG_CORE_SOURCES
  core/hash.c
  core/mem.c
  core/article.c
  core/article_json.c
  core/article_text.c
  core/article_date.c
  core/html.c
  core/text.c
  core/stem.c
  core/record.c
  core/fingerprint.c
  core/pipeline.c
  core/langid.c
  core/taxonomy.c
  core/classify.c
)

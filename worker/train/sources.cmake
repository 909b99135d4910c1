# Sources of the offline training library (stemtag_train). Paths relative to worker/.
set(STEMTAG_TRAIN_SOURCES
  train/labelled.c
  train/learn.c
  train/langid_train.c
  train/lang_corpus.c
)

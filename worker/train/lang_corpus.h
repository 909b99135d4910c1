/* lang_corpus: the training side of the language model (stemtag train-lang).
 * Owns the corpus of (line, language) pairs read from <iso>.txt folders and
 * {"lang","body"} JSON lines, the deterministic dev / calibration / fit split,
 * Serbian Latin <-> Cyrillic transliteration, the temperature calibration and
 * the model build through langid_train.h. Errors are reported on stderr
 * prefixed "train-lang:", as the command prints them.
 *
 * Split (deterministic, by content): a line whose FNV-1a hash is 0 mod
 * dev_every is a dev line, never trained on. Of the rest, those with
 * (hash / dev_every) % 10 == 1 calibrate the softmax temperature on a first
 * model trained without them; the final model is then trained on every
 * non-dev line. nb.txt and nn.txt both become "no" (one Norwegian stemmer).
 * Serbian lines are also trained in the other script so both are covered. */
#ifndef STEMTAG_LANG_CORPUS_H
#define STEMTAG_LANG_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "langid_train.h"

struct line {
        char *s;
        size_t len;
        int lang;
        uint64_t h;
};

struct lang_corpus {
        struct line *v;
        size_t n, cap;
        char code[LANGID_MAX_LANGS][8];
        unsigned nlang;
};

/* Each adds lines to @p c (zero it first); 0, or -1 with the reason on stderr. */
/** Adds every <iso>.txt of folder @p dir (in name order). */
int lang_corpus_read_dir(struct lang_corpus *c, const char *dir);
/** Adds the "body" of every JSON line of @p path ({"lang": "ca", "body": ...}) under its "lang". */
int lang_corpus_read_jsonl(struct lang_corpus *c, const char *path);
/** Frees the lines; @p c is empty again. */
void lang_corpus_free(struct lang_corpus *c);

/** Builds a model at @p path from the fit lines (and the calibration lines when
 *  @p with_calib); *@p bytes = training bytes. 0, or -1. */
int lang_corpus_train(const struct lang_corpus *c, unsigned dev_every, int with_calib,
                      const struct langid_build_params *p, const char *path, size_t *bytes);
/** Fits the softmax temperature of the model at @p path on the calibration
 *  lines (whole line and one word pair each) into *@p temp. 0, or -1. */
int lang_corpus_calibrate(const struct lang_corpus *c, unsigned dev_every, const char *path,
                          double *temp);
/** Writes the dev (@p dev 1) or training (0) lines to @p dir as <iso>.txt. 0, or -1. */
int lang_corpus_write_split(const struct lang_corpus *c, unsigned dev_every, const char *dir,
                            int dev);

#endif

/* Exit codes of `stemtag train`, `eval` and `train-lang` (enum stemtag_exit in
 * worker/ops/log.h, documented per command in docs/commands.md): one case per
 * documented code, each run through the real binary ($STEMTAG_BIN) on small
 * files this test writes itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];
static const char *bin;

/* Two sections, three articles each; words chosen so each label has its own. */
static const char *const labelled[] = {
    "{\"title\":\"Striker scores twice\",\"body\":\"The striker scored twice in the final match "
    "of the league season.\",\"label\":\"sport\",\"lang\":\"en\"}",
    "{\"title\":\"Goalkeeper saves penalty\",\"body\":\"The goalkeeper saved a penalty and the "
    "league leaders won the match.\",\"label\":\"sport\",\"lang\":\"en\"}",
    "{\"title\":\"Coach praises striker\",\"body\":\"The coach praised the striker after the "
    "match in the league.\",\"label\":\"sport\",\"lang\":\"en\"}",
    "{\"title\":\"Shares fall on inflation\",\"body\":\"Shares fell as inflation data worried "
    "investors in the bond market.\",\"label\":\"economy\",\"lang\":\"en\"}",
    "{\"title\":\"Central bank raises rates\",\"body\":\"The central bank raised interest rates "
    "to curb inflation and calm the market.\",\"label\":\"economy\",\"lang\":\"en\"}",
    "{\"title\":\"Investors buy bonds\",\"body\":\"Investors bought bonds as the market expected "
    "lower inflation.\",\"label\":\"economy\",\"lang\":\"en\"}",
};

static void write_file(const char *name, const char *const *lines, size_t n)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s\n", lines[i]);
        assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
        (void)state;
        bin = getenv("STEMTAG_BIN");
        snprintf(dir, sizeof(dir), "/tmp/stemtag-test-exit-XXXXXX");
        if (!bin || !mkdtemp(dir))
                return -1;
        static const char *const en[] = {"the cat sat on the mat", "where is the train station",
                                         "this is a sentence in english"};
        static const char *const de[] = {"die katze sitzt auf der matte", "wo ist der bahnhof",
                                         "das ist ein satz auf deutsch"};
        char lang[128];
        snprintf(lang, sizeof(lang), "%s/lang", dir);
        if (mkdir(lang, 0700))
                return -1;
        write_file("lang/en.txt", en, 3);
        write_file("lang/de.txt", de, 3);
        write_file("labelled.jsonl", labelled, sizeof(labelled) / sizeof(labelled[0]));
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* Runs `stemtag ARGS` in the test directory (output discarded); its exit status. */
static int run(const char *args)
{
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >/dev/null 2>&1", dir, bin, args);
        int st = system(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_train(void **state)
{
        (void)state;
        assert_int_equal(run("train --input labelled.jsonl --out m.json --min-df 1"), 0);
        assert_int_equal(run("train --input missing.jsonl --out x.json"), 1);
        assert_int_equal(run("train --input labelled.jsonl"), 2); /* no --out */
        assert_int_equal(run("train --input labelled.jsonl --out x.json --kind both"), 2);
        assert_int_equal(run("train --labels-from source-section --input labelled.jsonl "
                             "--out x.json --taxonomy missing.json"),
                         3);
}

static void test_eval(void **state)
{
        (void)state;
        assert_int_equal(run("train --input labelled.jsonl --out m.json --min-df 1"), 0);
        assert_int_equal(run("eval --model m.json --input labelled.jsonl"), 0);
        assert_int_equal(run("eval --model m.json --input missing.jsonl"), 1);
        assert_int_equal(run("eval --model m.json"), 2); /* no --input */
        assert_int_equal(run("eval --model missing.json --input labelled.jsonl"), 3);
}

static void test_train_lang(void **state)
{
        (void)state;
        assert_int_equal(run("train-lang --input lang --out lid.model"), 0);
        assert_int_equal(run("train-lang --input missing --out lid.model"), 1);
        assert_int_equal(run("train-lang --input lang"), 2); /* no --out */
        assert_int_equal(run("train-lang --input lang --out lid.model --bogus 1"), 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_train),
            cmocka_unit_test(test_eval),
            cmocka_unit_test(test_train_lang),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

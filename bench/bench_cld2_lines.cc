// bench_cld2_lines: CLD2 language detection alone, one text per input line
// (bench/bench_ratios.sh feeds it the title + body of each article), one
// thread: texts/s and MB/s per core (thread CPU time), best of 3 passes.
// The yardstick for "how does Stemtag's whole path compare with language
// detection alone". Prints figures, never fails on speed.
//
//   build/bench/bench_cld2_lines FILE.txt
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <cld2/public/compact_lang_det.h>

static double cpu_now()
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: bench_cld2_lines FILE.txt\n");
                return 2;
        }
        FILE *f = fopen(argv[1], "r");
        if (!f) {
                perror(argv[1]);
                return 1;
        }
        std::vector<std::string> lines;
        size_t bytes = 0;
        char *line = nullptr;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, f)) > 0) {
                if (line[n - 1] == '\n')
                        n--;
                lines.emplace_back(line, (size_t)n);
                bytes += (size_t)n;
        }
        free(line);
        fclose(f);
        double best = 1e300;
        unsigned sink = 0;
        for (int pass = 0; pass < 3; pass++) {
                double t0 = cpu_now();
                for (const std::string &s : lines) {
                        CLD2::Language lang3[3];
                        int percent3[3], text_bytes;
                        double score3[3];
                        bool reliable;
                        CLD2::ExtDetectLanguageSummary(s.data(), (int)s.size(), true, nullptr,
                                                       CLD2::kCLDFlagBestEffort, lang3, percent3,
                                                       score3, nullptr, &text_bytes, &reliable);
                        sink += (unsigned)lang3[0];
                }
                double dt = cpu_now() - t0;
                if (dt < best)
                        best = dt;
        }
        printf("cld2 %zu texts %.2f MB %.0f texts/s %.1f MB/s (sink %u)\n", lines.size(),
               bytes / 1e6, lines.size() / best, bytes / 1e6 / best, sink % 10);
        return 0;
}

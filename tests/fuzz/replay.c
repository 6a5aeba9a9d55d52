// SPDX-License-Identifier: MIT
/*
 * replay.c - runs a fuzz target over corpus files without libFuzzer, so the
 * corpora are replayed as ordinary tests in every build.
 *   replay-TARGET FILE|DIR...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

int main(int argc, char **argv)
{
    int files = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d && (e = readdir(d))) {
                if (e->d_name[0] == '.') {
                    continue;
                }
                char p[4096];
                snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
                bad += run_file(p);
                files++;
            }
            if (d) {
                closedir(d);
            }
        } else {
            bad += run_file(argv[i]);
            files++;
        }
    }
    printf("replayed %d inputs\n", files);
    return bad ? 1 : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_alg.h>

#include "crypto-template.h"
#include "macro.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif

/* What esp_init_authenc() / esp_init_aead() build (net/ipv4/esp4.c), layer by layer. */
typedef struct Layer {
        const char *template;
        char name[160];
} Layer;

/* 1: the crypto API has the AEAD, 0: it has not, negative: AF_ALG itself is unusable. */
static int aead_exists(const char *name) {
        struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "aead" };
        _cleanup_close_ int fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        if (strlen(name) >= sizeof(sa.salg_name))
                return -ENAMETOOLONG;
        memcpy(sa.salg_name, name, strlen(name));
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
                return 1;
        return errno == ENOENT ? 0 : -errno;
}

int crypto_missing_template(const XfrmSa *sa, char *ret, size_t size) {
        Layer layers[2] = {};
        size_t n = 0;
        const char *geniv;

        if (sa->aead.name[0]) {
                geniv = "seqiv";
                snprintf(layers[n].name, sizeof(layers[n].name), "%s(%s)", geniv, sa->aead.name);
                layers[n++].template = geniv;
        } else if (sa->enc.name[0]) {
                const char *authenc = sa->esn ? "authencesn" : "authenc";

                snprintf(layers[n].name, sizeof(layers[n].name), "%s(%s,%s)", authenc,
                         sa->auth.name[0] ? sa->auth.name : "digest_null", sa->enc.name);
                layers[n++].template = authenc;
                /* The null cipher needs no IV; CBC modes get echainiv, the others seqiv (net/xfrm/xfrm_algo.c). */
                geniv = strcmp(sa->enc.name, "ecb(cipher_null)") == 0 ? NULL :
                        strncmp(sa->enc.name, "cbc(", 4) == 0 ? "echainiv" : "seqiv";
                if (geniv) {
                        size_t len = 0;

                        strbuf_appendf(layers[n].name, sizeof(layers[n].name), &len, "%s(%s)", geniv, layers[0].name);
                        layers[n++].template = geniv;
                }
        } else
                return -ENOENT;

        for (size_t i = 0; i < n; i++) {
                int r = aead_exists(layers[i].name);

                if (r == 1)
                        continue;
                if (r == 0) {
                        strscpy(ret, size, layers[i].template);
                        return 0;
                }
                /* No AF_ALG to ask: every layer not yet confirmed is a candidate. */
                size_t len = 0;
                ret[0] = '\0';
                for (size_t j = i; j < n; j++)
                        strbuf_appendf(ret, size, &len, "%s%s", j > i ? " or " : "", layers[j].template);
                return 0;
        }
        return -ENOENT;
}

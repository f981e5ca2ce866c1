/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inventory's message counting and its report: SA dump messages as the
 * kernel sends them, with known keys in every algorithm attribute, must be
 * counted by name and leave no key byte in the JSON or the text report.
 * (tests/live.sh does the same against a real kernel where ESP exists.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/udp.h>
#include <linux/xfrm.h>

#include "inventory.h"
#include "macro.h"
#include "report.h"
#include "synthetic.h"

static const uint8_t key_enc[16] = { 0x0b, 0xad, 0xc0, 0xde, 0x11, 0x22, 0x33, 0x44,
                                     0x55, 0x66, 0x77, 0x88, 0x99, 0x00, 0xaa, 0xbb };
static const uint8_t key_auth[32] = { 0x5e, 0xed, 0x5e, 0xed, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
                                      0xef, 0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21, 0x01, 0x23,
                                      0x45, 0x67, 0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xf0, 0x0d };
static const uint8_t key_aead[20] = { 0xfe, 0xed, 0xfa, 0xce, 0xf0, 0x0d, 0xba, 0xbe, 0x13, 0x57,
                                      0x92, 0x46, 0x80, 0xac, 0xeb, 0xdf, 0x13, 0x57, 0x9b, 0xdf };

static void put_alg(struct nlmsghdr *nlh, uint16_t type, const char *name, const uint8_t *key, size_t len,
                    size_t fixed) {
        uint8_t buf[256] = {};

        memcpy(buf, name, strlen(name));          /* alg_name[64] first in every variant */
        memcpy(buf + 64, &(uint32_t) { (uint32_t) len * 8 }, 4); /* alg_key_len */
        memcpy(buf + fixed, key, len);
        mnl_attr_put(nlh, type, fixed + len, buf);
}

/* A NEWSA dump message: ESP, with the given algorithms and an optional UDP encapsulation. */
static struct nlmsghdr *sa_msg(void *buf, uint16_t family, uint8_t mode, bool aead, bool encap) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct xfrm_usersa_info *info;

        nlh->nlmsg_type = XFRM_MSG_NEWSA;
        info = mnl_nlmsg_put_extra_header(nlh, sizeof(*info));
        info->family = family;
        info->mode = mode;
        info->id.proto = IPPROTO_ESP;
        info->id.spi = htonl(0x4242);
        if (aead)
                put_alg(nlh, XFRMA_ALG_AEAD, "rfc4106(gcm(aes))", key_aead, sizeof(key_aead),
                        sizeof(struct xfrm_algo_aead));
        else {
                put_alg(nlh, XFRMA_ALG_CRYPT, "cbc(aes)", key_enc, sizeof(key_enc), sizeof(struct xfrm_algo));
                put_alg(nlh, XFRMA_ALG_AUTH, "hmac(sha256)", key_auth, sizeof(key_auth), sizeof(struct xfrm_algo));
                put_alg(nlh, XFRMA_ALG_AUTH_TRUNC, "hmac(sha256)", key_auth, sizeof(key_auth),
                        sizeof(struct xfrm_algo_auth));
        }
        if (encap) {
                struct xfrm_encap_tmpl t = { .encap_type = UDP_ENCAP_ESPINUDP, .encap_sport = htons(4500),
                                             .encap_dport = htons(4500) };
                mnl_attr_put(nlh, XFRMA_ENCAP, sizeof(t), &t);
        }
        return nlh;
}

static void test_count_sa(void **state) {
        uint8_t buf[2048];
        InvSad sad = {};

        for (int i = 0; i < 3; i++)
                assert_int_equal(inventory_count_sa(&sad, sa_msg(buf, AF_INET, XFRM_MODE_TRANSPORT, false, i == 0)), 0);
        assert_int_equal(inventory_count_sa(&sad, sa_msg(buf, AF_INET6, XFRM_MODE_TUNNEL, true, false)), 0);

        assert_int_equal(sad.count, 4);
        assert_int_equal(sad.family[INV_FAMILY_IPV4], 3);
        assert_int_equal(sad.family[INV_FAMILY_IPV6], 1);
        assert_int_equal(sad.proto[INV_PROTO_ESP], 4);
        assert_int_equal(sad.mode[INV_MODE_TRANSPORT], 3);
        assert_int_equal(sad.mode[INV_MODE_TUNNEL], 1);
        assert_int_equal(sad.encap[INV_ENCAP_ESPINUDP], 1);
        assert_int_equal(sad.encap[INV_ENCAP_NONE], 3);
        /* AUTH and AUTH_TRUNC name one algorithm of one SA: counted once. */
        assert_int_equal(sad.n_algs, 3);
        assert_string_equal(sad.algs[0].name, "cbc(aes)");
        assert_int_equal(sad.algs[0].sas, 3);
        assert_string_equal(sad.algs[1].name, "hmac(sha256)");
        assert_int_equal(sad.algs[1].kind, INV_ALG_INTEGRITY);
        assert_int_equal(sad.algs[1].sas, 3);
        assert_string_equal(sad.algs[2].name, "rfc4106(gcm(aes))");
        assert_int_equal(sad.algs[2].kind, INV_ALG_AEAD);
}

static void test_malformed(void **state) {
        uint8_t buf[2048];
        InvSad sad = {};
        InvSpd spd = {};
        struct nlmsghdr *nlh = sa_msg(buf, AF_INET, XFRM_MODE_TRANSPORT, false, false);
        struct nlattr *first = (struct nlattr *) ((uint8_t *) mnl_nlmsg_get_payload(nlh) +
                                                  MNL_ALIGN(sizeof(struct xfrm_usersa_info)));

        /* A name without its terminating NUL inside 64 bytes. */
        memset(mnl_attr_get_payload(first), 'A', 64);
        assert_int_equal(inventory_count_sa(&sad, nlh), -EBADMSG);
        /* Truncated fixed header; wrong type. */
        nlh = sa_msg(buf, AF_INET, XFRM_MODE_TRANSPORT, false, false);
        nlh->nlmsg_len = mnl_nlmsg_size(8);
        assert_int_equal(inventory_count_sa(&sad, nlh), -EBADMSG);
        nlh = sa_msg(buf, AF_INET, XFRM_MODE_TRANSPORT, false, false);
        assert_int_equal(inventory_count_policy(&spd, nlh), -EBADMSG);
        assert_int_equal(sad.count, 0);
        assert_int_equal(spd.count, 0);
}

static void test_count_policy(void **state) {
        uint8_t buf[1024];
        InvSpd spd = {};
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct xfrm_userpolicy_info *info;
        struct xfrm_user_tmpl t[2] = {};

        nlh->nlmsg_type = XFRM_MSG_NEWPOLICY;
        info = mnl_nlmsg_put_extra_header(nlh, sizeof(*info));
        info->sel.family = AF_INET6;
        info->dir = XFRM_POLICY_OUT;
        t[0].id.proto = IPPROTO_ESP;
        t[0].mode = XFRM_MODE_TUNNEL;
        t[1].id.proto = IPPROTO_AH;
        t[1].mode = XFRM_MODE_TRANSPORT;
        mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), t);
        assert_int_equal(inventory_count_policy(&spd, nlh), 0);
        info->dir = XFRM_POLICY_MAX + XFRM_POLICY_IN; /* a per-socket policy */
        info->action = XFRM_POLICY_BLOCK;
        assert_int_equal(inventory_count_policy(&spd, nlh), 0);

        assert_int_equal(spd.count, 2);
        assert_int_equal(spd.dir[INV_DIR_OUT], 1);
        assert_int_equal(spd.dir[INV_DIR_SOCKET], 1);
        assert_int_equal(spd.family[INV_FAMILY_IPV6], 2);
        assert_int_equal(spd.action[INV_ACTION_BLOCK], 1);
        assert_int_equal(spd.with_templates, 2);
        assert_int_equal(spd.tmpl_proto[INV_PROTO_ESP], 2);
        assert_int_equal(spd.tmpl_proto[INV_PROTO_AH], 2);
        assert_int_equal(spd.tmpl_mode[INV_MODE_TUNNEL], 2);
}

/* True if any 4 consecutive key bytes appear in out, as raw bytes or as hex of either case. */
static bool leaks(const char *out, size_t len, const uint8_t *key, size_t klen) {
        for (size_t i = 0; i + 4 <= klen; i++) {
                char lower[9], upper[9];

                if (memmem(out, len, key + i, 4))
                        return true;
                snprintf(lower, sizeof(lower), "%02x%02x%02x%02x", key[i], key[i + 1], key[i + 2], key[i + 3]);
                snprintf(upper, sizeof(upper), "%02X%02X%02X%02X", key[i], key[i + 1], key[i + 2], key[i + 3]);
                if (memmem(out, len, lower, 8) || memmem(out, len, upper, 8))
                        return true;
        }
        return false;
}

static void test_no_key_in_reports(void **state) {
        uint8_t buf[2048];
        Audit *a = synthetic_audit_all(VERDICT_AVAILABLE, 0);
        _cleanup_(json_object_putp) json_object *root = NULL;
        char *text = NULL;
        size_t text_len = 0;
        const char *json;
        FILE *f;

        a->inventory.done = true;
        assert_int_equal(inventory_count_sa(&a->inventory.sad, sa_msg(buf, AF_INET, XFRM_MODE_TRANSPORT, false, true)), 0);
        assert_int_equal(inventory_count_sa(&a->inventory.sad, sa_msg(buf, AF_INET6, XFRM_MODE_TUNNEL, true, false)), 0);

        assert_int_equal(report_json(a, &root), 0);
        json = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
        assert_non_null(strstr(json, "\"cbc(aes)\""));
        assert_non_null(strstr(json, "\"rfc4106(gcm(aes))\""));
        f = open_memstream(&text, &text_len);
        assert_non_null(f);
        assert_int_equal(report_text(a, f, false), 0);
        fclose(f);
        assert_non_null(strstr(text, "Live inventory"));
        assert_non_null(strstr(text, "hmac(sha256)"));

        /* The test itself must be able to fail: a key put into the output is found. */
        assert_true(leaks("x0badc0de11", 11, key_enc, sizeof(key_enc)));
        assert_true(leaks("..FEEDFACE..", 12, key_aead, sizeof(key_aead)));
        for (int k = 0; k < 3; k++) {
                const uint8_t *key = k == 0 ? key_enc : k == 1 ? key_auth : key_aead;
                size_t klen = k == 0 ? sizeof(key_enc) : k == 1 ? sizeof(key_auth) : sizeof(key_aead);

                assert_false(leaks(json, strlen(json), key, klen));
                assert_false(leaks(text, text_len, key, klen));
        }
        /* Nor the SPI. */
        assert_null(strstr(json, "4242"));
        assert_null(strstr(text, "4242"));
        free(text);
        synthetic_free(a);
}

static void test_refused_dump(void **state) {
        Audit *a = synthetic_audit_all(VERDICT_AVAILABLE, 0);
        _cleanup_(json_object_putp) json_object *root = NULL;
        json_object *inv, *sad, *v;

        a->inventory = (Inventory) { .done = true, .sad = { .err = EPERM, .info_err = EPERM },
                                     .spd = { .err = EPERM, .info_err = EPERM } };
        assert_int_equal(report_json(a, &root), 0);
        assert_true(json_object_object_get_ex(root, "inventory", &inv));
        assert_true(json_object_object_get_ex(inv, "sad", &sad));
        assert_true(json_object_object_get_ex(sad, "errno", &v));
        assert_string_equal(json_object_get_string(v), "EPERM");
        /* Not readable is not "zero SAs". */
        assert_true(json_object_object_get_ex(sad, "count", &v));
        assert_null(v);
        synthetic_free(a);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_count_sa),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_count_policy),
                cmocka_unit_test(test_no_key_in_reports),
                cmocka_unit_test(test_refused_dump),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

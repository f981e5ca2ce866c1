/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <linux/netlink.h>

/*
 * A read-only summary of the SAD and SPD of the namespace the audit runs in.
 * The dumps are streamed: every message is counted in its callback and then
 * forgotten, so memory does not grow with the number of SAs or policies.
 * Only counters and algorithm names are kept: never a key, an SPI or an
 * address. The struct is fixed-size and pointer-free.
 */

#define INVENTORY_MAX_ALGS 24
#define INVENTORY_ALG_NAME_MAX 64

typedef enum InvFamily { INV_FAMILY_IPV4, INV_FAMILY_IPV6, INV_FAMILY_OTHER, _INV_FAMILY_MAX } InvFamily;
typedef enum InvProto { INV_PROTO_ESP, INV_PROTO_AH, INV_PROTO_COMP, INV_PROTO_OTHER, _INV_PROTO_MAX } InvProto;
typedef enum InvMode {
        INV_MODE_TRANSPORT, INV_MODE_TUNNEL, INV_MODE_BEET, INV_MODE_OTHER, _INV_MODE_MAX
} InvMode;
typedef enum InvEncap {
        INV_ENCAP_NONE, INV_ENCAP_ESPINUDP, INV_ENCAP_ESPINUDP_NON_IKE, INV_ENCAP_ESPINTCP, INV_ENCAP_OTHER,
        _INV_ENCAP_MAX
} InvEncap;
typedef enum InvDir {
        INV_DIR_IN, INV_DIR_OUT, INV_DIR_FWD, INV_DIR_SOCKET, INV_DIR_OTHER, _INV_DIR_MAX
} InvDir;
typedef enum InvAction { INV_ACTION_ALLOW, INV_ACTION_BLOCK, _INV_ACTION_MAX } InvAction;
typedef enum InvAlgKind {
        INV_ALG_ENCRYPTION, INV_ALG_INTEGRITY, INV_ALG_AEAD, INV_ALG_COMPRESSION, _INV_ALG_KIND_MAX
} InvAlgKind;

typedef struct InvAlg {
        InvAlgKind kind;
        char name[INVENTORY_ALG_NAME_MAX]; /* the kernel's name, printable ASCII only */
        uint64_t sas;
} InvAlg;

typedef struct InvSad {
        int err;            /* positive errno if the dump was refused or failed */
        uint64_t count;     /* SAs seen in the dump */
        uint64_t family[_INV_FAMILY_MAX];
        uint64_t proto[_INV_PROTO_MAX];
        uint64_t mode[_INV_MODE_MAX];
        uint64_t encap[_INV_ENCAP_MAX];
        InvAlg algs[INVENTORY_MAX_ALGS];
        unsigned n_algs;
        uint64_t algs_untold; /* algorithm uses not listed because the set was full */
        bool info_known;      /* XFRM_MSG_GETSADINFO answered */
        int info_err;
        uint32_t info_count, info_hash_buckets, info_hash_max;
} InvSad;

typedef struct InvSpd {
        int err;
        uint64_t count;
        uint64_t dir[_INV_DIR_MAX];
        uint64_t family[_INV_FAMILY_MAX];
        uint64_t action[_INV_ACTION_MAX];
        uint64_t with_templates;       /* policies with at least one template */
        uint64_t tmpl_proto[_INV_PROTO_MAX];
        uint64_t tmpl_mode[_INV_MODE_MAX];
        bool info_known; /* XFRM_MSG_GETSPDINFO answered */
        int info_err;
        uint32_t info_in, info_out, info_fwd, info_in_socket, info_out_socket, info_fwd_socket;
        uint32_t info_hash_buckets, info_hash_max;
} InvSpd;

typedef struct Inventory {
        bool done; /* an inventory was attempted */
        InvSad sad;
        InvSpd spd;
} Inventory;

/*
 * Dumps the SAD and SPD of the caller's namespace and fills inv. Kernel
 * refusals (EPERM without CAP_NET_ADMIN) are recorded in inv, not returned;
 * a negative return is our own failure (-ENOMEM).
 */
int inventory_read(Inventory *inv);

/* One XFRM_MSG_NEWSA / XFRM_MSG_NEWPOLICY message of a dump: counted, then forgotten. */
int inventory_count_sa(InvSad *sad, const struct nlmsghdr *nlh);
int inventory_count_policy(InvSpd *spd, const struct nlmsghdr *nlh);

const char *inv_family_to_string(InvFamily f);
const char *inv_proto_to_string(InvProto p);
const char *inv_mode_to_string(InvMode m);
const char *inv_encap_to_string(InvEncap e);
const char *inv_dir_to_string(InvDir d);
const char *inv_action_to_string(InvAction a);
const char *inv_alg_kind_to_string(InvAlgKind k);

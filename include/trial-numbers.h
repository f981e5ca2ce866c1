/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every SPI and port a trial puts on the wire, handed out here and nowhere
 * else. No two probes share a namespace at once, and one is flushed before
 * it is reused, so numbers only need to be distinct within one probe; they are distinct across all of them anyway,
 * so an SPI in a report or a capture names the trial that sent it.
 *
 * SPIs: a block of 0x1000 per use; inside a block a probe counts up by
 * family or variant (stride noted). API trials stay below
 * TRIAL_SPI_REVERSE; datapath flows lie above it, and the datapath
 * (src/datapath) installs each flow's way back at SPI + TRIAL_SPI_REVERSE.
 * IPComp carries a 16-bit CPI: its trials take the low 16 bits.
 */
#define TRIAL_SPI_REVERSE 0x10000

enum {
        /* API trials (stride 1 per family unless noted). */
        TRIAL_SPI_PROTO = 0x1000,       /* proto.esp / proto.ah / proto.ipcomp */
        TRIAL_SPI_MODE_ESP = 0x2000,    /* mode.transport / mode.tunnel, ESP */
        TRIAL_SPI_MODE_AH = 0x3000,     /* mode.transport / mode.tunnel, AH */
        TRIAL_SPI_BEET = 0x4000,        /* mode.beet */
        TRIAL_SPI_NATT = 0x5000,        /* natt.udp_encap */
        TRIAL_SPI_NESTED = 0x6000,      /* sa.nested: stride 2 (inner, outer) per bundle */
        TRIAL_SPI_MULTICAST = 0x7000,   /* sa.multicast */
        TRIAL_SPI_CRYPTO = 0x8000,      /* crypto.algorithms: stride 1 per algorithm */
        TRIAL_SPI_REPLAY = 0x9000,      /* km.replay_esn */
        TRIAL_SPI_ESPINTCP = 0xa000,    /* natt.tcp_encap */

        /* Datapath flows (stride 0x10 per flow; a nested flow uses spi .. spi + 9). */
        TRIAL_SPI_FLOW_PROTO = 0x11000,    /* proto.esp / proto.ah */
        TRIAL_SPI_FLOW_MODE_ESP = 0x12000, /* mode.transport / mode.tunnel, ESP */
        TRIAL_SPI_FLOW_MODE_AH = 0x13000,  /* mode.transport / mode.tunnel, AH */
        TRIAL_SPI_FLOW_PORTS = 0x21000,    /* selector.ports */
        TRIAL_SPI_FLOW_MIXED = 0x31000,    /* selector.mixed_policy */
        TRIAL_SPI_FLOW_NATT = 0x45000,     /* natt.udp_encap */
        TRIAL_SPI_FLOW_NESTED = 0x46000,   /* sa.nested */
        TRIAL_SPI_FLOW_MULTICAST = 0x47000, /* sa.multicast */
};

/* Ports: selectors and datapath flows (stride 1 per family or variant). */
enum {
        /* RFC 5406 Section 9's example, BGP: the port a selector protects... */
        TRIAL_PORT_SELECTED = 179,
        /* ...and the one between the same hosts it must leave alone. */
        TRIAL_PORT_OTHER = 180,
        TRIAL_PORT_NESTED = 5000,      /* sa.nested's bundles: one policy per selector */
        TRIAL_PORT_FLOW = 7000,        /* proto.* and mode.* ESP flows */
        TRIAL_PORT_FLOW_AH = 7100,     /* mode.* AH flows; sa.nested flows add spi % 0x100 */
        TRIAL_PORT_FLOW_MULTICAST = 7200,
        TRIAL_PORT_FLOW_NATT = 7300,
};

_Static_assert(TRIAL_SPI_ESPINTCP + 0x1000 <= TRIAL_SPI_REVERSE, "API trial SPIs stay below the reverse offset");

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: frames captured on the datapath's veth (AF_PACKET) through
 * the classifier, as an Ethernet frame and as a bare IP packet, and ESP
 * ones through the null-cipher trailer parser with the ICV lengths the
 * datapath uses.
 */
#include "frame-classify.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FrameInfo info;
        uint8_t next;
        size_t off, len;

        if (frame_classify(data, size, &info) == 0 && (info.kind == FRAME_ESP || info.kind == FRAME_ESP_IN_UDP))
                for (size_t icv = 0; icv <= 16; icv += 4)
                        (void) frame_esp_null_payload(data, size, &info, icv, &next, &off, &len);
        (void) frame_classify_ip(data, size, &info);
        return 0;
}

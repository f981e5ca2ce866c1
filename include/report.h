/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#include "audit.h"
#include "catalogue.h"
#include "json-util.h"

#define REPORT_SCHEMA "ipsec-audit/report/v1"

/* The whole report as a json-c tree (the JSON contract in DESIGN.md). */
int report_json(const Audit *a, json_object **ret);

/* The capability object of a JSON report with this id; NULL when it has none. */
json_object *report_json_find(json_object *report, const char *id);

/* One capability as an object, as it appears in the report's array. */
int report_json_capability(const Probe *p, const CapResult *r, json_object **ret);

/* The live inventory object (NULL in *ret when none was attempted), and its text section. */
int report_json_inventory(const Inventory *inv, json_object **ret);
void report_text_inventory(const Inventory *inv, FILE *f);
void report_inventory_from_json(json_object *o, Inventory *inv);

/* A remedy (remedy_for()): as an object (text, impact, kernel_config, modules), and as indented text. */
int report_json_remedy(const Remedy *m, json_object **ret);
void report_text_remedy(FILE *f, const char *indent, const Remedy *m);
/* "label a, b, c" into buf; false (and "") for an empty list. */
bool report_text_join(char *buf, size_t size, const char *label, const char *const *list);
/* Word-wraps text at the report's width, every line indented. */
void report_text_wrapped(FILE *f, const char *indent, const char *text);

/* The full human report (--verbose): RFC sections in order, evidence, remedies, Section 4, the inventory. */
int report_text(const Audit *a, FILE *f, bool colour);

/*
 * The one-screen report (the default): a header line, the Section 4
 * verdict and its parts, one line per capability by RFC 5406 section with
 * the shortest cause for anything not available, and what to run next.
 * Every line fits 80 columns.
 */
int report_text_brief(const Audit *a, FILE *f, bool colour);

/*
 * The shortest cause of a result that is not available, in a few words
 * ("no esp6", "disable_xfrm=1 on all", "blocked by proto.esp"), from the
 * same cause model as remedy_for(): a host setting, else prerequisites,
 * else the capability's own refusal. "" for an available one.
 */
void report_short_cause(const CapResult *r, char *ret, size_t size);

/* The report in the Prometheus text exposition format (node_exporter's textfile collector). */
int report_prometheus(const Audit *a, FILE *f);

/*
 * The inverse of report_json(): an Audit rebuilt from a JSON report (the
 * daemon's cached one, a saved file) for report_text(). Capabilities are the
 * report's that table has a probe for, in the report's order; -EBADMSG for a
 * document that is not a report. Free with report_loaded_free().
 */
int report_from_json(json_object *root, const Probe *const *table, Audit **ret);
void report_loaded_free(Audit *a);

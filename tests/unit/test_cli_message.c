/* dtls-send messages: JSON validation with line and column, httpie-style items, -d and
 * --data-binary sent byte for byte. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "message.h"

static int check(const char *s, size_t *line, size_t *col, const char **why)
{
    return json_check((const uint8_t *)s, strlen(s), line, col, why);
}

static void invalid_at(const char *s, size_t want_line, size_t want_col, const char *want_why)
{
    size_t line = 0, col = 0;
    const char *why = NULL;
    cr_assert_eq(check(s, &line, &col, &why), -1, "accepted invalid JSON: %s", s);
    cr_expect_eq(line, want_line, "%s: line %zu, want %zu", s, line, want_line);
    cr_expect_eq(col, want_col, "%s: column %zu, want %zu", s, col, want_col);
    if (want_why)
        cr_expect(why && strstr(why, want_why), "%s: reason '%s', want '%s'", s, why ? why : "(none)", want_why);
}

Test(json_check, accepts_valid_json)
{
    static const char *const ok[] = {
        "{}", "[]", "0", "-0.5e+10", "1E3", "\"\"", "true", "false", "null", " \n\t{\"a\" : [1, 2.25, {\"b\": null}]}\r\n",
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9\"", "[[[[[]]]]]",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t l, c;
        const char *w;
        cr_expect_eq(check(ok[i], &l, &c, &w), 0, "refused valid JSON %s", ok[i]);
    }
}

Test(json_check, names_line_and_column_of_the_first_error)
{
    invalid_at("{\"a\": 1,}", 1, 9, "trailing comma");
    invalid_at("{\"a\" 1}", 1, 6, "':'");
    invalid_at("{\n  \"a\": [1, 2,\n   3 4]\n}", 3, 6, "',' or ']'");
    invalid_at("[1, 2", 1, 6, "end of input");
    invalid_at("{\"a\":1} x", 1, 9, "more after");
    invalid_at("01", 1, 2, "leading zero");
    invalid_at("1.", 1, 3, "digit");
    invalid_at("[.5]", 1, 2, "unexpected character");
    invalid_at("{'a': 1}", 1, 2, "string key");
    invalid_at("[tru]", 1, 5, "unexpected character");
    invalid_at("\"a\\qb\"", 1, 4, "escape");
    invalid_at("\"\\u12g4\"", 1, 6, "\\u");
    invalid_at("[NaN]", 1, 2, NULL);
    invalid_at("", 1, 1, "empty");
    invalid_at("  \n ", 2, 2, "empty");
}

Test(json_check, columns_count_characters_not_bytes)
{
    /* "é€😀" are 2, 3 and 4 bytes; the error is the 8th character */
    invalid_at("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80x\" y", 1, 8, "more after");
}

Test(json_check, refuses_bytes_json_cannot_hold)
{
    size_t line, col;
    const char *why;
    const uint8_t nul[] = { '[', '1', 0, ']' };
    cr_assert_eq(json_check(nul, sizeof nul, &line, &col, &why), -1);
    cr_expect(line == 1 && col == 3 && strstr(why, "NUL"));
    invalid_at("[\"a\xff\"]", 1, 4, "UTF-8");
    invalid_at("\"\xc0\xaf\"", 1, 2, "UTF-8");           /* overlong '/' */
    invalid_at("\"\xed\xa0\x80\"", 1, 2, "UTF-8");       /* a surrogate in UTF-8 */
    invalid_at("[\"tab\there\"]", 1, 6, "control character");
}

static char *items(const char *const *it, size_t n, struct conn_error *err)
{
    memset(err, 0, sizeof *err);
    return items_to_json(it, n, err);
}

Test(items, build_an_object_keeping_json_values_as_written)
{
    struct conn_error err;
    const char *const it[] = { "temp:=21.50", "unit=C", "tags:=[1, 2]", "on:=true", "note=say \"hi\"" };
    char *s = items(it, 5, &err);
    cr_assert(s, "%s", err.message);
    cr_expect_str_eq(s, "{\"temp\":21.50,\"unit\":\"C\",\"tags\":[1, 2],\"on\":true,\"note\":\"say \\\"hi\\\"\"}");
    size_t l, c;
    const char *w;
    cr_expect_eq(json_check((const uint8_t *)s, strlen(s), &l, &c, &w), 0);
    free(s);
}

Test(items, the_last_of_a_repeated_key_wins_and_splitting_is_at_the_first_equals)
{
    struct conn_error err;
    const char *const it[] = { "a=1", "url=https://x/?q=1", "a:=2", "b:c=3" };
    char *s = items(it, 4, &err);
    cr_assert(s);
    cr_expect_str_eq(s, "{\"url\":\"https://x/?q=1\",\"a\":2,\"b:c\":\"3\"}");
    free(s);
}

Test(items, bad_items_are_usage_errors)
{
    struct conn_error err;
    const char *const noeq[] = { "justakey" };
    cr_expect_null(items(noeq, 1, &err));
    cr_expect_eq(err.exit, EXIT_USAGE);
    const char *const nokey[] = { "=v" };
    cr_expect_null(items(nokey, 1, &err));
    cr_expect_eq(err.exit, EXIT_USAGE);
    const char *const badjson[] = { "ok=1", "n:={1}" };
    cr_expect_null(items(badjson, 2, &err));
    cr_expect_eq(err.exit, EXIT_USAGE);
    cr_expect(strstr(err.message, "'n:='") && strstr(err.message, "column 2"), "%s", err.message);
}

static struct options opts(void)
{
    struct options o;
    memset(&o, 0, sizeof o);
    o.wait = -1;
    o.poll_interval = -1;
    return o;
}

static char *temp_file(const void *data, size_t len)
{
    char *path = strdup("/tmp/test_cli_message.XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

Test(message, d_literal_is_sent_byte_for_byte)
{
    struct options o = opts();
    o.data = "{ \"b\" :2,\n \"a\":1.000 }";
    struct message m;
    struct conn_error err;
    cr_assert_eq(message_build(&o, &m, &err), 0, "%s", err.message);
    cr_expect_eq(m.len, strlen(o.data));
    cr_expect_eq(memcmp(m.data, o.data, m.len), 0);
    cr_expect_str_eq(m.content_type, "application/json");
    cr_expect(m.json);
    message_free(&m);
}

Test(message, d_file_is_sent_byte_for_byte_and_checked)
{
    const char body[] = "\xef\xbb\xbf";   /* a BOM is not JSON */
    char *bom = temp_file(body, 3);
    const char good[] = "[1,\n 2]\n";
    char *ok = temp_file(good, sizeof good - 1);
    struct options o = opts();
    char arg[64];
    struct message m;
    struct conn_error err;

    snprintf(arg, sizeof arg, "@%s", ok);
    o.data = arg;
    o.content_type = "application/vnd.x+json";
    cr_assert_eq(message_build(&o, &m, &err), 0, "%s", err.message);
    cr_expect(m.len == sizeof good - 1 && memcmp(m.data, good, m.len) == 0);
    cr_expect_str_eq(m.content_type, "application/vnd.x+json");
    message_free(&m);

    snprintf(arg, sizeof arg, "@%s", bom);
    cr_expect_eq(message_build(&o, &m, &err), EXIT_USAGE);
    cr_expect(strstr(err.message, "line 1, column 1"), "%s", err.message);
    cr_expect(strstr(err.message, bom), "the message names the file: %s", err.message);

    o.data = "@/nonexistent/dtls-send-test.json";
    cr_expect_eq(message_build(&o, &m, &err), EXIT_READ_INPUT);
    o.data = "{\"a\":}";
    cr_expect_eq(message_build(&o, &m, &err), EXIT_USAGE);
    cr_expect(strstr(err.message, "column 6") && strstr(err.message, "nothing was sent"), "%s", err.message);
    unlink(ok);
    unlink(bom);
    free(ok);
    free(bom);
}

Test(message, data_binary_is_sent_as_is)
{
    const uint8_t bin[] = { 0x08, 0x96, 0x01, 0x00, 0xff, '\n' };
    char *path = temp_file(bin, sizeof bin);
    char arg[64];
    snprintf(arg, sizeof arg, "@%s", path);
    struct options o = opts();
    o.data_binary = arg;
    struct message m;
    struct conn_error err;
    cr_assert_eq(message_build(&o, &m, &err), 0, "%s", err.message);
    cr_expect(m.len == sizeof bin && memcmp(m.data, bin, sizeof bin) == 0);
    cr_expect_str_eq(m.content_type, "application/octet-stream");
    cr_expect(!m.json);
    message_free(&m);
    o.content_type = "application/x-protobuf";
    cr_assert_eq(message_build(&o, &m, &err), 0);
    cr_expect_str_eq(m.content_type, "application/x-protobuf");
    message_free(&m);
    unlink(path);
    free(path);
}

Test(message, one_source_only_and_none_is_an_empty_body)
{
    struct options o = opts();
    struct message m;
    struct conn_error err;
    cr_assert_eq(message_build(&o, &m, &err), 0);
    cr_expect(m.len == 0 && m.content_type == NULL);
    message_free(&m);
    o.data = "{}";
    o.items[0] = "a=1";
    o.n_items = 1;
    cr_expect_eq(message_build(&o, &m, &err), EXIT_USAGE);
    o.data = NULL;
    cr_assert_eq(message_build(&o, &m, &err), 0);
    cr_expect_eq(m.len, 9);
    cr_expect_str_eq((char *)m.data, "{\"a\":\"1\"}");
    message_free(&m);
}

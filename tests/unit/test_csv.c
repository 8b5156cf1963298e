/* CSV push parser: RFC 4180 edge cases, bad rows with exact positions, chunking invariance, compression,
 * memory bound on over-long records, and the real loan_data.csv (CR line endings, no final newline). */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <zlib.h>
#include <zstd.h>

#include "streamml/streamml.h"
#include "unit.h"

#include "reader_harness.h"

static sml_reader_opts csv_opts(void)
{
    sml_reader_opts o = SML_READER_OPTS_INIT;
    o.format = SML_FORMAT_CSV;
    o.source_name = "t.csv";
    return o;
}

/* ---- tests ---- */

static void test_header_and_untyped_columns(void)
{
    sml_reader_opts o = csv_opts();
    sml_reader *r = sml_reader_new(&o, NULL);
    const char *const *names;
    size_t n;
    CHECK_INT(sml_reader_columns(r, &names, &n), SML_EAGAIN);
    sml_reader_feed(r, "a,b", 3, NULL);
    CHECK_INT(sml_reader_columns(r, &names, &n), SML_EAGAIN); /* the header line is not complete yet */
    sml_reader_feed(r, ",c\n1,2,3\n", 9, NULL);
    CHECK_INT(sml_reader_columns(r, &names, &n), 0);
    CHECK_INT(n, 3);
    CHECK_STR(names[0], "a");
    CHECK_STR(names[2], "c");
    sml_batch b = SML_BATCH_INIT;
    CHECK_INT(sml_reader_next(r, &b, NULL), 1);
    CHECK_INT(b.ncols, 3);
    CHECK(b.cols[1].type == SML_TYPE_STR);
    size_t len;
    const char *s = sml_batch_str(&b, 1, 0, &len);
    CHECK(len == 1 && s[0] == '2');
    CHECK_INT(b.line[0], 2);
    CHECK_INT(b.offset[0], 6);
    CHECK_INT(b.end_offset, 12);
    CHECK_INT(b.end_line, 2);
    sml_batch_release(&b);
    sml_reader_free(r);
}

static void test_typed_columns(void)
{
    sml_reader_opts o = csv_opts();
    const char *names[] = {"fico", "purpose", "rate", "extra"};
    sml_type types[] = {SML_TYPE_NUM, SML_TYPE_STR, SML_TYPE_NUM, SML_TYPE_NUM};
    uint8_t opt[] = {0, 0, 0, 1};
    spec sp = {names, types, opt, 4};
    char *d = dump_of(&o, &sp, "purpose,skip,fico,rate\ncar,x,737,0.1189\n,y,,1e3\n\"a,b\",z, 700 ,-2.5\n", 0);
    CHECK_STR(d, "L2@23:|fico=737|purpose=[car]|rate=0.11890000000000001|extra=NA\n"
                 "L3@40:|fico=NA|purpose=NA|rate=1000|extra=NA\n"
                 "L4@48:|fico=700|purpose=[a,b]|rate=-2.5|extra=NA\n");
    free(d);
    /* a column that is not in the header */
    const char *bad_names[] = {"nope"};
    sml_reader *r = sml_reader_new(&o, NULL);
    sml_error err = SML_ERROR_INIT;
    sml_reader_feed(r, "a,b\n1,2\n", 8, NULL);
    CHECK_INT(sml_reader_set_columns(r, bad_names, types, NULL, 1, &err), SML_ENOTFOUND);
    CHECK(strstr(err.msg, "\"nope\"") != NULL);
    sml_reader_free(r);
}

static void test_no_header(void)
{
    sml_reader_opts o = csv_opts();
    o.header = 0;
    sml_reader *r = sml_reader_new(&o, NULL);
    sml_reader_feed(r, "1,2\n3,4\n", 8, NULL);
    const char *const *names;
    size_t n;
    CHECK_INT(sml_reader_columns(r, &names, &n), 0);
    CHECK_INT(n, 2);
    CHECK_STR(names[0], "c1");
    CHECK_STR(names[1], "c2");
    sml_reader_free(r);
    char *d = dump_of(&o, NULL, "1,2\n3,4\n5\n", 0);
    CHECK_STR(d, "L1@0:|c1=[1]|c2=[2]\nL2@4:|c1=[3]|c2=[4]\nBAD t.csv:3:2: expected 2 fields, got 1 @8 raw=[5]\n");
    free(d);
}

static void test_quoted_fields(void)
{
    sml_reader_opts o = csv_opts();
    const char *in = "a,b\n\"x,y\",\"he said \"\"hi\"\"\"\n\"line1\nline2\",2\n3,\"\"\n4,\"a\r\nb\"\n5,6\n";
    char *d = dump_of(&o, NULL, in, 0);
    CHECK_STR(d, "L2@4:|a=[x,y]|b=[he said \"hi\"]\n"
                 "L3@27:|a=[line1\nline2]|b=[2]\n"
                 "L5@43:|a=[3]|b=[]\n"
                 "L6@48:|a=[4]|b=[a\r\nb]\n"
                 "L8@57:|a=[5]|b=[6]\n");
    free(d);
    check_invariant(&o, NULL, in, strlen(in));
}

static void test_line_endings_agree(void)
{
    sml_reader_opts o = csv_opts();
    char *lf = dump_of(&o, NULL, "a,b\n1,2\n\n3,\"x\ny\"\n4,5", 0);
    char *crlf = dump_of(&o, NULL, "a,b\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n4,5\r\n", 0);
    char *cr = dump_of(&o, NULL, "a,b\r1,2\r\r3,\"x\ry\"\r4,5", 0);
    CHECK_STR(lf, "L2@4:|a=[1]|b=[2]\nL4@9:|a=[3]|b=[x\ny]\nL6@17:|a=[4]|b=[5]\n");
    CHECK_STR(crlf, "L2@5:|a=[1]|b=[2]\nL4@12:|a=[3]|b=[x\r\ny]\nL6@22:|a=[4]|b=[5]\n");
    CHECK_STR(cr, "L2@4:|a=[1]|b=[2]\nL4@9:|a=[3]|b=[x\ry]\nL6@17:|a=[4]|b=[5]\n");
    free(lf);
    free(crlf);
    free(cr);
    const char *mixed = "a,b\r\n1,2\r3,4\n\r\n\n5,6\r";
    check_invariant(&o, NULL, mixed, strlen(mixed));
}

static void test_bom_delimiter_blank_lines(void)
{
    sml_reader_opts o = csv_opts();
    char *d = dump_of(&o, NULL, "\xEF\xBB\xBFid,v\n\n1,x\n", 0);
    CHECK_STR(d, "L3@9:|id=[1]|v=[x]\n");
    free(d);
    o.delimiter = ';';
    d = dump_of(&o, NULL, "a;b\n1,5;\"x;y\"\n", 0);
    CHECK_STR(d, "L2@4:|a=[1,5]|b=[x;y]\n");
    free(d);
    o.delimiter = '\t';
    d = dump_of(&o, NULL, "a\tb\n\t2\n", 0);
    CHECK_STR(d, "L2@4:|a=NA|b=[2]\n");
    free(d);
    o.delimiter = '"';
    sml_error err = SML_ERROR_INIT;
    CHECK(sml_reader_new(&o, &err) == NULL);
    CHECK_INT(err.code, SML_EINVAL);
    /* a BOM split across feeds, and a lone first byte that only looks like one */
    o = csv_opts();
    const char *in = "\xEF\xBB\xBF" "a\n1\n";
    check_invariant(&o, NULL, in, strlen(in));
    /* blank lines before the header, fed a byte at a time (found by fuzzing: a stale scan position) */
    const char *lead = "\r\n\rab,c\n1,2\n";
    check_invariant(&o, NULL, lead, strlen(lead));
    d = dump_of(&o, NULL, lead, 1);
    CHECK_STR(d, "L4@8:|ab=[1]|c=[2]\n");
    free(d);
    d = dump_of(&o, NULL, "\xEF" "a\n1\n", 1);
    CHECK_STR(d, "L2@3:|\xEF" "a=[1]\n");
    free(d);
}

static void test_bad_rows_positions(void)
{
    sml_reader_opts o = csv_opts();
    const char *names[] = {"id", "fico"};
    sml_type types[] = {SML_TYPE_STR, SML_TYPE_NUM};
    spec sp = {names, types, NULL, 2};
    const char *in = "id,fico\n"   /* line 1 */
                     "a,700\n"     /* 2 */
                     "b,n/a\n"     /* 3: not a number, column 3 */
                     "c\n"         /* 4: too few fields, column 2 */
                     "d,1,2\n"     /* 5: too many, column 5 */
                     "\"e\"x,1\n"  /* 6: stray after quote, column 4 */
                     "f,\xC3\x28\n" /* 7: invalid UTF-8 in a NUM column: not a number */
                     "\"g\xFF\",1\n" /* 8: invalid UTF-8, column 3 */
                     "\"h\nh\",x\n" /* 9-10: not a number on line 10, column 4 */
                     "i,720\n"     /* 11 */
                     "j,\"1";      /* 12: unterminated quote at EOF, column 3 */
    char *d = dump_of(&o, &sp, in, 0);
    CHECK_STR(d, "L2@8:|id=[a]|fico=700\n"
                 "BAD t.csv:3:3: column \"fico\": expected a number, got \"n/a\" @14 raw=[b,n/a]\n"
                 "BAD t.csv:4:2: expected 2 fields, got 1 @20 raw=[c]\n"
                 "BAD t.csv:5:5: expected 2 fields, got 3 @22 raw=[d,1,2]\n"
                 "BAD t.csv:6:4: unexpected character after a closing quote (a quote inside a quoted field must be "
                 "doubled) @28 raw=[\"e\"x,1]\n"
                 "BAD t.csv:7:3: column \"fico\": expected a number, got \"\xC3(\" @35 raw=[f,\xC3(]\n"
                 "BAD t.csv:8:3: invalid UTF-8 @40 raw=[\"g\xFF\",1]\n"
                 "BAD t.csv:10:4: column \"fico\": expected a number, got \"x\" @47 raw=[\"h\nh\",x]\n"
                 "L11@55:|id=[i]|fico=720\n"
                 "BAD t.csv:12:3: unterminated quoted field @61 raw=[j,\"1]\n");
    free(d);
    check_invariant(&o, &sp, in, strlen(in));
    check_invariant(&o, NULL, in, strlen(in));
    /* without the UTF-8 check the bytes pass through */
    o.check_utf8 = 0;
    d = dump_of(&o, NULL, "a\n\xFF\n", 0);
    CHECK_STR(d, "L2@2:|a=[\xFF]\n");
    free(d);
}

static void test_bad_row_format_and_stats(void)
{
    sml_reader_opts o = csv_opts();
    o.source_name = "loan.csv";
    sml_reader *r = sml_reader_new(&o, NULL);
    const char *names[] = {"fico"};
    sml_type types[] = {SML_TYPE_NUM};
    CHECK_INT(sml_reader_set_columns(r, names, types, NULL, 1, NULL), 0);
    const char *in = "x,fico\n1,700\n2,n/a\n3,710\n";
    sml_reader_feed(r, in, strlen(in), NULL);
    sml_reader_end(r, NULL);
    sml_batch b = SML_BATCH_INIT;
    CHECK_INT(sml_reader_next(r, &b, NULL), 3);
    CHECK_INT(b.nrows, 2);
    CHECK_INT(b.nbad, 1);
    char msg[128];
    sml_bad_row_format(r, &b, 0, msg, sizeof msg);
    CHECK_STR(msg, "loan.csv:3:3: column \"fico\": expected a number, got \"n/a\"");
    CHECK_INT(b.bad[0].code, SML_EPARSE);
    CHECK_INT(b.bad[0].offset, 13);
    CHECK_INT(b.end_offset, strlen(in));
    CHECK_INT(b.end_line, 4);
    sml_reader_stats st;
    sml_reader_get_stats(r, &st);
    CHECK_INT(st.records, 2);
    CHECK_INT(st.bad_records, 1);
    CHECK_INT(st.lines, 4);
    CHECK_INT(st.bytes, strlen(in));
    CHECK_INT(st.bytes_in, strlen(in));
    CHECK(sml_reader_done(r));
    sml_batch_release(&b);
    sml_reader_free(r);
}

static void test_small_batches_and_restart_offsets(void)
{
    sml_reader_opts o = csv_opts();
    const char *in = "a\n1\n2\nx,y\n3\n4\n5\n";
    sml_reader *r = sml_reader_new(&o, NULL);
    sml_batch b = SML_BATCH_INIT;
    const char *none[1] = {NULL};
    sml_batch_setup(&b, none, NULL, 0, 2, NULL);
    sml_reader_feed(r, in, strlen(in), NULL);
    sml_reader_end(r, NULL);
    int total = 0, k, batches = 0;
    uint64_t mid_offset = 0, mid_line = 0;
    while ((k = sml_reader_next(r, &b, NULL)) > 0) {
        CHECK(k <= 2);
        total += k;
        if (++batches == 2)
            mid_offset = b.end_offset, mid_line = b.end_line;
    }
    CHECK_INT(total, 6);
    CHECK_INT(mid_offset, 12); /* after "a\n1\n2\nx,y\n3\n": 2 rows in batch 1, bad + 3 in batch 2 */
    CHECK_INT(mid_line, 5);
    sml_batch_release(&b);
    sml_reader_free(r);
}

static void test_set_columns_between_batches(void)
{
    sml_reader_opts o = csv_opts();
    sml_reader *r = sml_reader_new(&o, NULL);
    sml_batch b = SML_BATCH_INIT;
    sml_reader_feed(r, "a,b\n1,2\n", 8, NULL);
    CHECK_INT(sml_reader_next(r, &b, NULL), 1);
    CHECK_INT(b.ncols, 2);
    const char *names[] = {"b"};
    sml_type types[] = {SML_TYPE_NUM};
    CHECK_INT(sml_reader_set_columns(r, names, types, NULL, 1, NULL), 0);
    sml_reader_feed(r, "3,4\n", 4, NULL);
    CHECK_INT(sml_reader_next(r, &b, NULL), 1);
    CHECK_INT(b.ncols, 1);
    CHECK(b.cols[0].type == SML_TYPE_NUM);
    CHECK(b.cols[0].num[0] == 4.0);
    sml_batch_release(&b);
    sml_reader_free(r);
}

static void test_empty_and_whitespace_inputs(void)
{
    sml_reader_opts o = csv_opts();
    char *d = dump_of(&o, NULL, "", 0);
    CHECK_STR(d, "");
    free(d);
    d = dump_of(&o, NULL, "a,b\n", 1);
    CHECK_STR(d, "");
    free(d);
    d = dump_of(&o, NULL, "a,b", 1);
    CHECK_STR(d, "");
    free(d);
    o.format = SML_FORMAT_AUTO;
    d = dump_of(&o, NULL, "\n\n", 1);
    CHECK_STR(d, "");
    free(d);
}

static void test_chunking_invariance_rich(void)
{
    sml_reader_opts o = csv_opts();
    text in = {0};
    tprintf(&in, "\xEF\xBB\xBFk,num,s\r\n");
    for (int i = 0; i < 300; i++) {
        switch (i % 11) {
        case 0: tprintf(&in, "%d,%d.5,\"q,%d\"\r\n", i, i, i); break;
        case 1: tprintf(&in, "%d,,\"multi\nline \"\"%d\"\"\"\n", i, i); break;
        case 2: tprintf(&in, "%d,abc,x\r", i); break;
        case 3: tprintf(&in, "\n\r\n"); break;
        case 4: tprintf(&in, "%d,1e%d\n", i, i % 30); break;
        case 5: tprintf(&in, "%d,2,\"unterminated... no: closed\"\n", i); break;
        case 6: tprintf(&in, "%d,-0.001,\xE2\x82\xAC\n", i); break;
        case 7: tprintf(&in, "%d,3,\xE2\x82\n", i); break;
        case 8: tprintf(&in, "%d,4,%0200d\n", i, 7); break; /* longer than max_record_bytes below */
        case 9: tprintf(&in, "%d,5,\"x\"y\n", i); break;
        default: tprintf(&in, "%d,6,z,extra\n", i); break;
        }
    }
    tprintf(&in, "last,7,\"open");
    const char *names[] = {"s", "num", "nothere"};
    sml_type types[] = {SML_TYPE_STR, SML_TYPE_NUM, SML_TYPE_NUM};
    uint8_t opt[] = {0, 0, 1};
    spec sp = {names, types, opt, 3};
    check_invariant(&o, NULL, in.s, in.len);
    check_invariant(&o, &sp, in.s, in.len);
    o.max_record_bytes = 100;
    check_invariant(&o, &sp, in.s, in.len);
    o.format = SML_FORMAT_AUTO;
    check_invariant(&o, NULL, in.s, in.len);
    free(in.s);
}

static void test_overlong_record_is_bad_and_skipped(void)
{
    sml_reader_opts o = csv_opts();
    o.max_record_bytes = 16;
    const char *in = "a,b\n1,2\n0123456789,0123456789\n\"x\n,0123456789012345\",3\n4,5\n";
    char *d = dump_of(&o, NULL, in, 0);
    CHECK_STR(d, "L2@4:|a=[1]|b=[2]\n"
                 "BAD t.csv:3:1: record longer than 16 bytes @8 raw=[0123456789,0123456789]\n"
                 "BAD t.csv:4:1: record longer than 16 bytes @30 raw=[\"x\n,0123456789012345\",3]\n"
                 "L6@54:|a=[4]|b=[5]\n");
    free(d);
    check_invariant(&o, NULL, in, strlen(in));
    /* at the end of input, still open */
    d = dump_of(&o, NULL, "a\n\"0123456789012345678", 1);
    CHECK_STR(d, "BAD t.csv:2:1: record longer than 16 bytes @2 raw=[\"0123456789012345678]\n");
    free(d);
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_100mb_line_uses_bounded_memory(void)
{
    sml_reader_opts o = csv_opts();
    sml_reader *r = sml_reader_new(&o, NULL); /* max_record_bytes: 1 MiB */
    sml_batch b = SML_BATCH_INIT;
    size_t chunk = 1 << 20;
    char *block = malloc(chunk);
    memset(block, 'x', chunk);
    long before = max_rss_kb();
    CHECK_INT(sml_reader_feed(r, "a,b\n1,2\n", 8, NULL), 0);
    int rows = 0, bad = 0, k;
    for (int i = 0; i < 100; i++) {
        CHECK_INT(sml_reader_feed(r, block, chunk, NULL), 0);
        while ((k = sml_reader_next(r, &b, NULL)) > 0)
            rows += (int)b.nrows, bad += (int)b.nbad;
    }
    CHECK_INT(sml_reader_feed(r, ",y\n3,4\n", 7, NULL), 0);
    sml_reader_end(r, NULL);
    uint64_t line4 = 0, bad_line = 0, bad_off = 0, raw_len = 0;
    while ((k = sml_reader_next(r, &b, NULL)) > 0) {
        for (size_t i = 0; i < b.nrows; i++)
            if (b.line[i] == 4) {
                line4 = b.offset[i];
                size_t n;
                const char *s = sml_batch_str(&b, 0, i, &n);
                CHECK(n == 1 && s[0] == '3');
            }
        if (b.nbad)
            bad_line = b.bad[0].line, bad_off = b.bad[0].offset, raw_len = b.bad[0].raw_len;
        rows += (int)b.nrows, bad += (int)b.nbad;
    }
    CHECK_INT(rows, 2);
    CHECK_INT(bad, 1);
    CHECK_INT(bad_line, 3);
    CHECK_INT(bad_off, 8);
    CHECK_INT(raw_len, 4096);
    CHECK_INT(line4, 8 + 100 * (uint64_t)chunk + 3);
    long grown_mb = (max_rss_kb() - before) / 1024;
    CHECK_MSG(grown_mb < 40, "resident memory grew by %ld MB", grown_mb);
    CHECK(sml_reader_done(r));
    free(block);
    sml_batch_release(&b);
    sml_reader_free(r);
}

static void test_gzip_and_zstd(void)
{
    sml_reader_opts o = csv_opts();
    const char *plain = "a,b\n1,x\n2,y\n3,\"z\nz\"\n";
    size_t plen = strlen(plain);
    char *want = dump_of(&o, NULL, plain, 0);
    /* gzip, two members: the first holds half of the text */
    unsigned char gz[1024];
    size_t gzlen = 0;
    for (int m = 0; m < 2; m++) {
        z_stream z;
        memset(&z, 0, sizeof z);
        deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (Bytef *)plain + (m ? 10 : 0);
        z.avail_in = (uInt)(m ? plen - 10 : 10);
        z.next_out = gz + gzlen;
        z.avail_out = (uInt)(sizeof gz - gzlen);
        CHECK_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
        gzlen = sizeof gz - z.avail_out;
        deflateEnd(&z);
    }
    text t = {0};
    tprintf(&t, "%s", "");
    sml_reader_stats st;
    CHECK_INT(run(&o, NULL, gz, gzlen, 0, 0, &t, &st), 0);
    CHECK_STR(t.s, want);
    CHECK_INT(st.bytes_in, gzlen);
    CHECK_INT(st.bytes, plen);
    free(t.s);
    t = (text){0};
    tprintf(&t, "%s", "");
    CHECK_INT(run(&o, NULL, gz, gzlen, 1, 0, &t, NULL), 0);
    CHECK_STR(t.s, want);
    free(t.s);
    /* truncated gzip: a clear error at the end, the rows decoded so far are still there */
    t = (text){0};
    tprintf(&t, "%s", "");
    CHECK_INT(run(&o, NULL, gz, gzlen - 5, 3, 0, &t, NULL), SML_EFORMAT);
    CHECK(strstr(t.s, "END t.csv: gzip: truncated input") != NULL);
    free(t.s);
    /* corrupt gzip */
    unsigned char bad[64] = {0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF};
    t = (text){0};
    tprintf(&t, "%s", "");
    run(&o, NULL, bad, 20, 0, 0, &t, NULL);
    CHECK(strstr(t.s, "FEED t.csv: gzip: corrupt input") != NULL);
    free(t.s);

    /* zstd */
    unsigned char zs[1024];
    size_t zlen = ZSTD_compress(zs, sizeof zs, plain, plen, 3);
    CHECK(!ZSTD_isError(zlen));
    t = (text){0};
    tprintf(&t, "%s", "");
    CHECK_INT(run(&o, NULL, zs, zlen, 0, 0, &t, NULL), 0);
    CHECK_STR(t.s, want);
    free(t.s);
    t = (text){0};
    tprintf(&t, "%s", "");
    CHECK_INT(run(&o, NULL, zs, zlen, 1, 0, &t, NULL), 0);
    CHECK_STR(t.s, want);
    free(t.s);
    t = (text){0};
    tprintf(&t, "%s", "");
    CHECK_INT(run(&o, NULL, zs, zlen - 3, 2, 0, &t, NULL), SML_EFORMAT);
    CHECK(strstr(t.s, "zstd: truncated input") != NULL);
    free(t.s);
    /* only the magic */
    t = (text){0};
    tprintf(&t, "%s", "");
    CHECK_INT(run(&o, NULL, "\x1f\x8b", 2, 1, 0, &t, NULL), SML_EFORMAT);
    free(t.s);
    /* text that merely starts like a magic is plain */
    char *d = dump_of(&o, NULL, "(\xb5x\n1\n", 1);
    CHECK_STR(d, "L2@4:|(\xb5x=[1]\n");
    free(d);
    free(want);
}

static FILE *open_loan(void)
{
    char path[4096];
    const char *root = getenv("SML_ROOT");
    snprintf(path, sizeof path, "%s/../shared/data/loan_data.csv", root ? root : ".");
    FILE *f = fopen(path, "rb");
    if (!f)
        f = fopen("../shared/data/loan_data.csv", "rb");
    return f;
}

static void test_loan_data(void)
{
    FILE *f = open_loan();
    if (!f) {
        printf("# loan_data.csv not found, skipped\n");
        return;
    }
    static char data[1 << 20];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    CHECK_INT(len, 751253);
    sml_reader_opts o = csv_opts();
    o.source_name = "loan_data.csv";
    sml_reader *r = sml_reader_new(&o, NULL);
    const char *names[] = {"purpose", "int.rate", "installment", "log.annual.inc", "fico", "not.fully.paid"};
    sml_type types[] = {SML_TYPE_STR, SML_TYPE_NUM, SML_TYPE_NUM, SML_TYPE_NUM, SML_TYPE_NUM, SML_TYPE_NUM};
    sml_batch b = SML_BATCH_INIT;
    size_t rows = 0, bad = 0, off = 0;
    double sum_fico = 0, last_rate = 0, last_paid = -1;
    int first = 1;
    while (off < len || !sml_reader_done(r)) {
        if (off < len) {
            size_t n = len - off < 65536 ? len - off : 65536;
            sml_reader_feed(r, data + off, n, NULL);
            off += n;
            if (first) {
                const char *const *hdr;
                size_t nh;
                CHECK_INT(sml_reader_columns(r, &hdr, &nh), 0);
                CHECK_INT(nh, 14);
                CHECK_STR(hdr[0], "credit.policy");
                CHECK_STR(hdr[13], "not.fully.paid");
                CHECK_INT(sml_reader_set_columns(r, names, types, NULL, 6, NULL), 0);
            }
        } else {
            sml_reader_end(r, NULL);
        }
        while (sml_reader_next(r, &b, NULL) > 0) {
            if (first && b.nrows) {
                size_t n;
                const char *s = sml_batch_str(&b, 0, 0, &n);
                CHECK(n == 18 && memcmp(s, "debt_consolidation", 18) == 0);
                CHECK(b.cols[1].num[0] == 0.1189);
                CHECK(b.cols[2].num[0] == 829.1);
                CHECK(b.cols[3].num[0] == 11.35040654);
                CHECK(b.cols[4].num[0] == 737);
                CHECK_INT(b.line[0], 2);
                first = 0;
            }
            for (size_t i = 0; i < b.nrows; i++)
                sum_fico += b.cols[4].num[i];
            if (b.nrows) {
                last_rate = b.cols[1].num[b.nrows - 1];
                last_paid = b.cols[5].num[b.nrows - 1];
                CHECK_INT(b.line[b.nrows - 1], rows + b.nrows + 1);
            }
            rows += b.nrows;
            bad += b.nbad;
        }
    }
    CHECK_INT(rows, 9578);
    CHECK_INT(bad, 0);
    CHECK(last_rate == 0.1392);
    CHECK(last_paid == 1);
    CHECK_NEAR(sum_fico / 9578, 710.8463144706619, 1e-9);
    sml_reader_stats st;
    sml_reader_get_stats(r, &st);
    CHECK_INT(st.lines, 9579);
    CHECK_INT(st.records, 9578);
    sml_batch_release(&b);
    sml_reader_free(r);
    /* untyped, one byte at a time, gives the same as whole */
    check_invariant(&o, NULL, data, 20000);
}

static void test_duplicate_header_names(void)
{
    sml_reader_opts o = csv_opts();
    sml_reader *r = sml_reader_new(&o, NULL);
    const char *const *names;
    size_t n;
    sml_error err = SML_ERROR_INIT;
    sml_batch b = SML_BATCH_INIT;
    sml_reader_feed(r, "\"fico\",b,fico\n1,2,3\n", 20, NULL);
    CHECK_INT(sml_reader_columns(r, &names, &n), SML_EPARSE);
    CHECK_INT(sml_reader_next(r, &b, &err), SML_EPARSE);
    CHECK_STR(err.msg, "t.csv:1:10: duplicate column name \"fico\" in the header (fields 1 and 3)");
    sml_batch_release(&b);
    sml_reader_free(r);
    o.header = 0; /* without a header the columns are c1, c2, ...: nothing to refuse */
    r = sml_reader_new(&o, NULL);
    sml_reader_feed(r, "x,x\n", 4, NULL);
    CHECK_INT(sml_reader_columns(r, &names, &n), 0);
    sml_reader_free(r);
}

int main(void)
{
    RUN(test_header_and_untyped_columns);
    RUN(test_typed_columns);
    RUN(test_no_header);
    RUN(test_quoted_fields);
    RUN(test_line_endings_agree);
    RUN(test_bom_delimiter_blank_lines);
    RUN(test_bad_rows_positions);
    RUN(test_bad_row_format_and_stats);
    RUN(test_small_batches_and_restart_offsets);
    RUN(test_set_columns_between_batches);
    RUN(test_empty_and_whitespace_inputs);
    RUN(test_chunking_invariance_rich);
    RUN(test_overlong_record_is_bad_and_skipped);
    RUN(test_100mb_line_uses_bounded_memory);
    RUN(test_gzip_and_zstd);
    RUN(test_duplicate_header_names);
    RUN(test_loan_data);
    return UNIT_DONE();
}

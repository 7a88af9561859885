/*
 * Generates the test vectors in this directory from glibc's own strtod,
 * strtold, printf and the x87 `long double` unit, so redsim's software
 * versions can be checked against them (model/tests/num_*.rs).
 *
 * Needs x86-64 Linux with glibc and gcc (long double = x87 80-bit; __float128
 * and libquadmath only serve to write exact halfway cases).
 *
 *   cc -O1 -o /tmp/gen gen_vectors.c -lquadmath -lm
 *   /tmp/gen f64fmt   > f64_fmt.txt
 *   /tmp/gen f64parse > f64_parse.txt
 *   /tmp/gen ldparse  > ld_parse.txt
 *   /tmp/gen ldadd    > ld_add.txt
 *
 * The acceptance rules below restate what Redis 7.0 does around strtod and
 * strtold (whole string consumed, no leading space, ERANGE overflow or
 * underflow-to-zero rejected, NaN rejected, long doubles under 5120 bytes),
 * and the LD_STR_HUMAN post-processing of "%.17Lf". Output is deterministic.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <quadmath.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t next(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return n ? next() % n : 0; }

/* ---------------------------------------------------------------- doubles */

static void fmt_line(double v, int prec) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    printf("%016llx %d %.*g\n", (unsigned long long)bits, prec, prec, v);
}

static double from_bits(uint64_t b) {
    double v;
    memcpy(&v, &b, 8);
    return v;
}

static void gen_f64fmt(void) {
    for (int i = 0; i < 2500; i++) {
        fmt_line(from_bits(next()), 17);
    }
    for (int k = -323; k <= 308; k++) {
        char s[32];
        snprintf(s, sizeof s, "1e%d", k);
        double v = strtod(s, NULL);
        fmt_line(v, 17);
        if (k % 3 == 0) {
            fmt_line(nextafter(v, 0), 17);
            fmt_line(nextafter(v, INFINITY), 17);
        }
    }
    for (int i = 0; i < 300; i++) {
        fmt_line(from_bits(below(1ULL << 52) | (next() & (1ULL << 63))), 17);
    }
    for (int i = -40; i <= 40; i++) {
        fmt_line(9007199254740992.0 + i, 17);
        fmt_line(-(18014398509481984.0 + 2 * i), 17);
        fmt_line(1e17 + 16 * i, 17);
        fmt_line(1e16 + 2 * i, 17);
    }
    /* Other precisions, including 0 (means 1) and more than 17. */
    for (int i = 0; i < 1200; i++) {
        double v = (i % 2) ? from_bits(next()) : (double)(int64_t)below(2000000) / (double)(1 + below(1000));
        fmt_line(v, (int)below(31));
    }
    /* Exact ties at the rounding digit: n + 1/2, 1/4 or 3/4 printed with
       just enough digits to drop the fraction. */
    for (int i = 0; i < 400; i++) {
        uint64_t n = below(1ULL << (1 + below(50)));
        double frac = (i % 3 == 0) ? 0.5 : (i % 3 == 1) ? 0.25 : 0.75;
        double v = (double)n + frac;
        char t[64];
        int digits = snprintf(t, sizeof t, "%llu", (unsigned long long)n);
        fmt_line(v, digits + (int)below(3));
    }
    fmt_line(0.0, 17);
    fmt_line(-0.0, 17);
    fmt_line(INFINITY, 17);
    fmt_line(-INFINITY, 17);
    fmt_line(DBL_MAX, 17);
    fmt_line(DBL_MIN, 17);
    fmt_line(DBL_TRUE_MIN, 17);
    fmt_line(nan(""), 17);
    fmt_line(-nan(""), 17);
}

/* ---------------------------------------------------------------- inputs */

static char *put_digits(char *p, int n) {
    for (int i = 0; i < n; i++) *p++ = (char)('0' + below(10));
    return p;
}

/* A random decimal numeral in strtod syntax, of mixed shapes. */
static void rand_decimal(char *buf, int maxexp) {
    char *p = buf;
    int sign = (int)below(5);
    if (sign == 1) *p++ = '-';
    if (sign == 2) *p++ = '+';
    int longish = below(40) == 0;
    int ni = below(4) == 0 ? 0 : 1 + (int)below(longish ? 300 : 20);
    int nf = below(3) == 0 ? 0 : 1 + (int)below(longish ? 300 : 20);
    if (ni == 0 && nf == 0) ni = 1;
    if (below(6) == 0) {
        int z = 1 + (int)below(5);
        for (int i = 0; i < z; i++) *p++ = '0';
    }
    p = put_digits(p, ni);
    if (nf > 0 || below(8) == 0) {
        *p++ = '.';
        if (below(4) == 0) {
            int z = 1 + (int)below(30);
            for (int i = 0; i < z; i++) *p++ = '0';
        }
        p = put_digits(p, nf);
    }
    if (below(5) < 3) {
        *p++ = below(2) ? 'e' : 'E';
        int es = (int)below(3);
        if (es == 1) *p++ = '-';
        if (es == 2) *p++ = '+';
        p += sprintf(p, "%d", (int)below((uint64_t)maxexp + 1));
    }
    *p = 0;
}

/* A random hexadecimal float numeral. */
static void rand_hex(char *buf, int maxexp) {
    static const char hx[] = "0123456789abcdefABCDEF";
    char *p = buf;
    if (below(3) == 0) *p++ = '-';
    *p++ = '0';
    *p++ = below(4) ? 'x' : 'X';
    int ni = below(4) == 0 ? 0 : 1 + (int)below(20);
    int nf = below(3) == 0 ? 0 : 1 + (int)below(24);
    if (ni == 0 && nf == 0) nf = 1;
    for (int i = 0; i < ni; i++) *p++ = hx[below(22)];
    if (nf > 0 || below(8) == 0) {
        *p++ = '.';
        for (int i = 0; i < nf; i++) *p++ = hx[below(22)];
    }
    if (below(5) < 4) {
        *p++ = below(2) ? 'p' : 'P';
        int es = (int)below(3);
        if (es == 1) *p++ = '-';
        if (es == 2) *p++ = '+';
        p += sprintf(p, "%d", (int)below((uint64_t)maxexp + 1));
    }
    *p = 0;
}

/* The exact decimal expansion of a __float128, trailing zeros removed. */
static void exact_q(char *buf, size_t cap, __float128 v) {
    quadmath_snprintf(buf, cap, "%.1200Qe", v);
    char *e = strchr(buf, 'e');
    if (!e) return;
    char exp[16];
    snprintf(exp, sizeof exp, "%s", e);
    char *q = e;
    while (q > buf && q[-1] == '0') q--;
    if (q > buf && q[-1] == '.') q--;
    strcpy(q, exp);
}

static const char *const specials[] = {
    "", " 1", "1 ", "inf", "-inf", "+inf", "INF", "Infinity", "-infinity", "infinit",
    "infinityx", "nan", "NaN", "-nan", "nan(123)", "nan(", "0x", "0x.", "0xp1", "0x1p", "0x1p+",
    "0x1.p1", "0x.1p1", "0X1P-3", "1e", "1e+", "1e-", ".", "+", "-", "+-1", "-+1", "1.2.3", "1..2",
    ".e1", ".5", "5.", "+.5", "-.5e-3", "00012", "0.0", "-0", "+0", "-0.0e-99999", "0e99999999999999999999",
    "1e0400", "1e-400", "1e4000", "1e-4000", "1e5000", "1e-5000", "1e99999999999999999999",
    "1e-99999999999999999999", "2.4703282292062327e-324", "2.4703282292062328e-324",
    "4.9406564584124654e-324", "1.7976931348623157e308", "1.7976931348623158e308",
    "1.7976931348623159e308", "1.18973149535723176502e+4932", "1.18973149535723176508e+4932",
    "3.64519953188247460252840593361941982e-4951", "1.82259976594123730126e-4951",
    "1.82259976594123730127e-4951", "3.6e-4951", "1e-4950", "1e-4952", "10.5", "0.1", "0.2",
    "1e17", "9007199254740993", "18446744073709551615", "18446744073709551617",
    "0x1.fffffffffffffffep16383", "0x1.ffffffffffffffffp16383", "0x1p-16445", "0x1p-16446",
    "0x1.8p-16446", "0x1p-1074", "0x1p-1075", "0x1.8p-1075", "0x1p1024", "0x1.fffffffffffffp1023",
    "0x1.fffffffffffff8p1023", "0x0.0000000000000000000000001p0", "1_0", "1,5", "0b101", "١",
};

/* ---------------------------------------------------------------- f64 parse */

static int redis_d(const char *s, size_t len, double *out) {
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (len == 0 || isspace((unsigned char)s[0]) || (size_t)(end - s) != len) return 0;
    if (errno == ERANGE && (isinf(v) || v == 0)) return 0;
    if (isnan(v)) return 0;
    *out = v;
    return 1;
}

static void parse_line_d(const char *s) {
    double v;
    if (redis_d(s, strlen(s), &v)) {
        uint64_t bits;
        memcpy(&bits, &v, 8);
        printf("%s\t%016llx\n", s, (unsigned long long)bits);
    } else {
        printf("%s\terr\n", s);
    }
}

static void gen_f64parse(void) {
    static char buf[8192];
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++) parse_line_d(specials[i]);
    for (int i = 0; i < 2500; i++) {
        rand_decimal(buf, i % 5 == 0 ? 400 : 30);
        parse_line_d(buf);
    }
    for (int i = 0; i < 500; i++) {
        rand_hex(buf, 1200);
        parse_line_d(buf);
    }
    /* Halfway between neighbouring doubles, and just either side of it. */
    for (int i = 0; i < 300; i++) {
        uint64_t b = (i % 4 == 0) ? below(1ULL << 52) : (next() & 0x7fefffffffffffffULL);
        double lo = from_bits(b);
        double hi = nextafter(lo, INFINITY);
        __float128 mid = ((__float128)lo + (__float128)hi) / 2;
        exact_q(buf, sizeof buf, mid);
        parse_line_d(buf);
        char *e = strchr(buf, 'e');
        char tail[16];
        snprintf(tail, sizeof tail, "%s", e);
        if (i % 2) {
            strcpy(e, "0000001");
        } else {
            /* ...5 -> ...4999999 */
            e[-1] = '4';
            strcpy(e, "999999");
        }
        strcat(buf, tail);
        parse_line_d(buf);
    }
}

/* ---------------------------------------------------------------- long double */

#define MAX_LD_CHARS 5120

static int redis_ld(const char *s, size_t len, long double *out) {
    char buf[MAX_LD_CHARS];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = 0;
    errno = 0;
    char *end;
    long double v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || *end || (size_t)(end - buf) != len) return 0;
    if (errno == ERANGE && (isinf(v) || v == 0)) return 0;
    if (isnan(v)) return 0;
    *out = v;
    return 1;
}

static int big_outputs = 0;

/* LD_STR_HUMAN: "%.17Lf", trailing zeros and '.' dropped, "-0" -> "0".
   Very long outputs are replaced by "~" after the first few, to keep the
   vector files small. */
static void human(long double v, char *out, size_t cap) {
    if (isinf(v)) {
        strcpy(out, v > 0 ? "inf" : "-inf");
        return;
    }
    int n = snprintf(out, cap, "%.17Lf", v);
    if (strchr(out, '.')) {
        while (n > 0 && out[n - 1] == '0') n--;
        if (n > 0 && out[n - 1] == '.') n--;
        out[n] = 0;
    }
    if (strcmp(out, "-0") == 0) strcpy(out, "0");
    if (n > 200 && big_outputs++ >= 12) strcpy(out, "~");
}

/* LD_STR_AUTO: "%.17Lg", with infinities spelled out. */
static void autofmt(long double v, char *out, size_t cap) {
    if (isinf(v)) {
        strcpy(out, v > 0 ? "inf" : "-inf");
        return;
    }
    snprintf(out, cap, "%.17Lg", v);
}

static void ld_fields(long double v) {
    static char h[6000], a[100];
    unsigned char raw[16] = {0};
    memcpy(raw, &v, 10);
    uint64_t mant;
    uint16_t se;
    memcpy(&mant, raw, 8);
    memcpy(&se, raw + 8, 2);
    human(v, h, sizeof h);
    autofmt(v, a, sizeof a);
    printf("%d %04x %016llx\t%s\t%s", se >> 15, se & 0x7fff, (unsigned long long)mant, h, a);
}

static long double rand_ld(int minexp, int maxexp) {
    unsigned char raw[16] = {0};
    uint64_t mant = next() | (1ULL << 63);
    if (below(6) == 0) mant &= ~((1ULL << below(64)) - 1); /* short significands */
    uint16_t se = (uint16_t)(16383 + minexp + (int)below((uint64_t)(maxexp - minexp + 1)));
    if (below(2)) se |= 0x8000;
    memcpy(raw, &mant, 8);
    memcpy(raw + 8, &se, 2);
    long double v;
    memcpy(&v, raw, sizeof v);
    return v;
}

static void parse_line_ld(const char *s) {
    long double v;
    printf("%s\t", s);
    if (redis_ld(s, strlen(s), &v)) {
        ld_fields(v);
        printf("\n");
    } else {
        printf("err\n");
    }
}

static void gen_ldparse(void) {
    static char buf[MAX_LD_CHARS + 16];
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++) parse_line_ld(specials[i]);
    for (int len = MAX_LD_CHARS - 1; len <= MAX_LD_CHARS; len++) {
        memset(buf, '0', (size_t)len - 1);
        buf[len - 1] = '7';
        buf[len] = 0;
        parse_line_ld(buf);
    }
    for (int i = 0; i < 2500; i++) {
        rand_decimal(buf, i % 10 == 0 ? 5000 : 30);
        parse_line_ld(buf);
    }
    for (int i = 0; i < 400; i++) {
        rand_hex(buf, 16500);
        parse_line_ld(buf);
    }
    /* Exact values of random long doubles, in hex and in a few decimals. */
    for (int i = 0; i < 700; i++) {
        long double v = (i % 5 == 0) ? rand_ld(-16382, 16383) : rand_ld(-70, 70);
        snprintf(buf, sizeof buf, "%La", v);
        parse_line_ld(buf);
        snprintf(buf, sizeof buf, "%.*Lg", 1 + (int)below(25), v);
        parse_line_ld(buf);
    }
    /* Subnormal long doubles. */
    for (int i = 0; i < 100; i++) {
        unsigned char raw[16] = {0};
        uint64_t mant = next() >> (1 + below(63));
        memcpy(raw, &mant, 8);
        long double v;
        memcpy(&v, raw, sizeof v);
        snprintf(buf, sizeof buf, "%La", v);
        parse_line_ld(buf);
    }
    /* Halfway between neighbouring long doubles, and just either side. */
    for (int i = 0; i < 500; i++) {
        long double lo = rand_ld(-300, 300);
        long double hi = nextafterl(lo, lo > 0 ? INFINITY : -INFINITY);
        __float128 mid = ((__float128)lo + (__float128)hi) / 2;
        exact_q(buf, sizeof buf, mid);
        parse_line_ld(buf);
        char *e = strchr(buf, 'e');
        char tail[16];
        snprintf(tail, sizeof tail, "%s", e);
        if (i % 2) {
            strcpy(e, "0000001");
        } else {
            e[-1] = '4';
            strcpy(e, "999999");
        }
        strcat(buf, tail);
        parse_line_ld(buf);
    }
}

/* ---------------------------------------------------------------- long double sums */

static void add_line(const char *a, const char *b) {
    long double x, y;
    if (!redis_ld(a, strlen(a), &x) || !redis_ld(b, strlen(b), &y)) return;
    volatile long double vx = x, vy = y;
    long double sum = vx + vy;
    printf("%s\t%s\t", a, b);
    ld_fields(sum);
    printf("\n");
}

static void ld_text(char *buf, size_t cap, long double v) {
    if (below(2)) {
        snprintf(buf, cap, "%La", v);
    } else {
        snprintf(buf, cap, "%.*Lg", 1 + (int)below(22), v);
    }
}

static void set_exp(long double *v, int delta) {
    *v = ldexpl(*v, delta);
}

static void gen_ldadd(void) {
    static const char *const pairs[][2] = {
        {"10.5", "0.1"}, {"0.1", "0.2"}, {"1e17", "1"}, {"-1", "1"}, {"1", "-1"}, {"-0", "-0"},
        {"-0", "0"}, {"0", "-1e-17"}, {"0", "5e-18"}, {"0", "5.000001e-18"}, {"0", "1.5e-17"},
        {"0", "2.5e-17"}, {"1", "1e-4950"}, {"1", "0x1p3"}, {"5", "-5"}, {"1", "-1e-20"},
        {"1e4932", "1e4932"}, {"-1e4932", "-1e4932"}, {"1e4932", "-1e4932"}, {"inf", "1"},
        {"inf", "-inf"}, {"-inf", "-inf"}, {"3.0", "1.5"}, {"1.1", "2.2"}, {"99.99", "0.01"},
        {"0x1p-16445", "0x1p-16445"}, {"0x1p-16382", "-0x1p-16445"}, {"0x1.fffffffffffffffep16383", "0x1p16319"},
        {"0x1.fffffffffffffffep16383", "0x1p16318"}, {"18446744073709551615", "1"},
        {"9223372036854775807", "0.5"}, {"-9223372036854775808", "-0.5"}, {"1e-20", "-1e-20"},
        {"123456789.123456789", "987654321.987654321"}, {"0.3", "-0.1"}, {"1e300", "1"},
    };
    static char a[256], b[256];
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) add_line(pairs[i][0], pairs[i][1]);
    for (int i = 0; i < 3000; i++) {
        long double x = rand_ld(-60, 60), y = rand_ld(-60, 60);
        int kind = (int)below(6);
        if (kind == 0) {
            /* magnitudes apart by up to 140 binary places: sticky bits */
            y = ldexpl(x, -(int)below(141));
            y = nextafterl(y, below(2) ? INFINITY : -INFINITY);
            if (below(2)) y = -y;
            if (below(2)) y *= 1.0L + (long double)below(1000) / 997.0L;
        } else if (kind == 1) {
            /* near cancellation */
            y = -x;
            for (int k = (int)below(4); k > 0; k--) y = nextafterl(y, below(2) ? INFINITY : -INFINITY);
        } else if (kind == 2) {
            /* subnormal and tiny */
            x = rand_ld(-16382, -16300);
            y = rand_ld(-16382, -16300);
            set_exp(&x, -(int)below(70));
            set_exp(&y, -(int)below(70));
        } else if (kind == 3) {
            /* near the top: overflow to inf or not */
            x = rand_ld(16370, 16383);
            y = rand_ld(16300, 16383);
        } else if (kind == 4) {
            /* decimal-looking values, INCRBYFLOAT style */
            snprintf(a, sizeof a, "%lld.%0*lld", (long long)below(100000) - 50000, 1 + (int)below(4),
                     (long long)below(1000));
            snprintf(b, sizeof b, "%s%lld.%0*lld", below(2) ? "-" : "", (long long)below(1000),
                     1 + (int)below(6), (long long)below(100000));
            add_line(a, b);
            continue;
        }
        ld_text(a, sizeof a, x);
        ld_text(b, sizeof b, y);
        add_line(a, b);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s f64fmt|f64parse|ldparse|ldadd\n", argv[0]);
        return 2;
    }
    if (!strcmp(argv[1], "f64fmt")) gen_f64fmt();
    else if (!strcmp(argv[1], "f64parse")) gen_f64parse();
    else if (!strcmp(argv[1], "ldparse")) gen_ldparse();
    else if (!strcmp(argv[1], "ldadd")) gen_ldadd();
    else return 2;
    return 0;
}

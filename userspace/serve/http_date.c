// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HTTP-dates (RFC 9110 section 5.6.7): we send IMF-fixdate and accept it
 * plus the two obsolete forms recipients must still read. Names are fixed
 * English, never the locale's (strftime/strptime would follow LC_TIME).
 */
#include <errno.h>
#include <string.h>

#include "http_internal.h"

static const char day_names[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

static const char * const long_day_names[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};

static const char month_names[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* 9999-12-31 23:59:59: the last second a four-digit year can show. */
#define LAST_DATE 253402300799LL

/* @n decimal digits of @value at @out, zero-padded. */
static void put_digits(char *out, unsigned int value, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		out[i] = '0' + value % 10;
		value /= 10;
	}
}

void http_date_format(time_t t, char *out)
{
	struct tm tm;

	if (t < 0)
		t = 0;
	if (t > LAST_DATE)
		t = LAST_DATE;
	gmtime_r(&t, &tm);
	/* "Sun, 06 Nov 1994 08:49:37 GMT", by hand: no locale, no truncation. */
	memcpy(out, day_names[tm.tm_wday], 3);
	memcpy(out + 3, ", ", 2);
	put_digits(out + 5, tm.tm_mday, 2);
	out[7] = ' ';
	memcpy(out + 8, month_names[tm.tm_mon], 3);
	out[11] = ' ';
	put_digits(out + 12, tm.tm_year + 1900, 4);
	out[16] = ' ';
	put_digits(out + 17, tm.tm_hour, 2);
	out[19] = ':';
	put_digits(out + 20, tm.tm_min, 2);
	out[22] = ':';
	put_digits(out + 23, tm.tm_sec, 2);
	memcpy(out + 25, " GMT", 5);
}

/* @n digits at @p (a leading space allowed if @space); -1 if not. */
static int digits(const char *p, int n, bool space)
{
	int value = 0, i;

	for (i = 0; i < n; i++) {
		if (space && !i && p[i] == ' ')
			continue;
		if (p[i] < '0' || p[i] > '9')
			return -1;
		value = value * 10 + (p[i] - '0');
	}
	return value;
}

static int month(const char *p)
{
	int i;

	for (i = 0; i < 12; i++)
		if (!memcmp(p, month_names[i], 3))
			return i;
	return -1;
}

/* "HH:MM:SS" */
static int clock_time(const char *p, struct tm *tm)
{
	if (p[2] != ':' || p[5] != ':')
		return -EINVAL;
	tm->tm_hour = digits(p, 2, false);
	tm->tm_min = digits(p + 3, 2, false);
	tm->tm_sec = digits(p + 6, 2, false);
	if (tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 ||
	    tm->tm_min > 59 || tm->tm_sec < 0 || tm->tm_sec > 60)
		return -EINVAL;
	return 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static int imf_fixdate(const char *p, size_t len, struct tm *tm)
{
	if (len != 29 || memcmp(p + 3, ", ", 2) || p[7] != ' ' ||
	    p[11] != ' ' || p[16] != ' ' || memcmp(p + 25, " GMT", 4))
		return -EINVAL;
	tm->tm_mday = digits(p + 5, 2, false);
	tm->tm_mon = month(p + 8);
	tm->tm_year = digits(p + 12, 4, false) - 1900;
	return clock_time(p + 17, tm);
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" */
static int rfc850_date(const char *p, size_t len, struct tm *tm)
{
	const char *comma = memchr(p, ',', len);
	time_t now = time(NULL);
	struct tm now_tm;
	int year, i;

	if (!comma)
		return -EINVAL;
	for (i = 0; i < 7; i++)
		if ((size_t)(comma - p) == strlen(long_day_names[i]) &&
		    !memcmp(p, long_day_names[i], comma - p))
			break;
	len -= comma - p;
	p = comma;
	if (i == 7 || len != 24 || p[1] != ' ' || p[4] != '-' ||
	    p[8] != '-' || p[11] != ' ' || memcmp(p + 20, " GMT", 4))
		return -EINVAL;
	tm->tm_mday = digits(p + 2, 2, false);
	tm->tm_mon = month(p + 5);
	year = digits(p + 9, 2, false);
	if (year < 0)
		return -EINVAL;
	/* A two-digit year over 50 years ahead is in the past century. */
	gmtime_r(&now, &now_tm);
	year += now_tm.tm_year + 1900 - (now_tm.tm_year + 1900) % 100;
	if (year > now_tm.tm_year + 1900 + 50)
		year -= 100;
	tm->tm_year = year - 1900;
	return clock_time(p + 12, tm);
}

/* "Sun Nov  6 08:49:37 1994" */
static int asctime_date(const char *p, size_t len, struct tm *tm)
{
	if (len != 24 || p[3] != ' ' || p[7] != ' ' || p[10] != ' ' ||
	    p[19] != ' ')
		return -EINVAL;
	tm->tm_mon = month(p + 4);
	tm->tm_mday = digits(p + 8, 2, true);
	tm->tm_year = digits(p + 20, 4, false) - 1900;
	return clock_time(p + 11, tm);
}

int http_date_parse(struct http_span value, time_t *t)
{
	const char *p = value.ptr;
	struct tm tm, check;
	int i, ret;

	if (!p || value.len < 24)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	for (i = 0; i < 7; i++)
		if (!memcmp(p, day_names[i], 3))
			break;
	if (i == 7)
		return -EINVAL;
	if (p[3] == ',')
		ret = imf_fixdate(p, value.len, &tm);
	else if (p[3] == ' ')
		ret = asctime_date(p, value.len, &tm);
	else
		ret = rfc850_date(p, value.len, &tm);
	if (ret || tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_year < 0)
		return -EINVAL;
	/* timegm() moves Feb 30 to March: such a date was not valid. */
	check = tm;
	*t = timegm(&check);
	if (*t == (time_t)-1 || check.tm_mday != tm.tm_mday)
		return -EINVAL;
	return 0;
}

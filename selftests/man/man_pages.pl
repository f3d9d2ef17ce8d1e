#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0-or-later
#
# man_pages: the libktls man pages (man/man3, man/man7/libktls.7) against
# the public headers include/ktls/ktls.h and include/ktls/handoff.h:
#   - every function the headers declare has man/man3/NAME.3, a page or a
#     one-line ".so man3/PAGE.3" link to one, and no page names a function
#     the headers do not declare (no stale pages);
#   - each function's page lists it in NAME and declares it in SYNOPSIS
#     exactly as the header does (whitespace aside), and every struct, enum
#     and #define a page quotes is the header's;
#   - every page renders without warnings (groff -ww; mandoc -Tlint too
#     where it is installed);
#   - libktls(7) names every function;
#   - each page's EXAMPLES compile against the headers (cc -fsyntax-only).
# Pages are compared as a reader sees them: rendered by groff to plain text.
# Prints KTAP. Run from the source tree, or with KTLSD_SRC set to it.
use strict;
use warnings;
use Cwd qw(getcwd);
use File::Basename qw(basename dirname);
use File::Temp qw(tempdir);

my $top = $ENV{KTLSD_SRC} // getcwd();
my @headers = ('include/ktls/ktls.h', 'include/ktls/handoff.h');
my $man = "$top/man";
my ($n, $failed, $skipped) = (0, 0, 0);

print "TAP version 13\n";

sub say_lines { print map { "# $_\n" } @_; }

sub result {
	my ($name, @problems) = @_;
	$n++;
	if (@problems) {
		$failed++;
		print "not ok $n $name\n";
		say_lines(@problems);
	} else {
		print "ok $n $name\n";
	}
}

sub skip {
	my ($name, $why) = @_;
	$n++;
	$skipped++;
	print "ok $n $name # SKIP $why\n";
}

sub totals {
	my $pass = $n - $failed - $skipped;
	print "1..$n\n";
	print "# Totals: pass:$pass fail:$failed xfail:0 xpass:0 skip:$skipped error:0\n";
	exit($failed ? 1 : 0);
}

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "cannot read $path: $!\n";
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text;
}

# One line, single spaces, none inside parentheses or before ';' and ','.
sub norm {
	my ($s) = @_;
	$s =~ s/\s+/ /g;
	$s =~ s/^ //;
	$s =~ s/ $//;
	$s =~ s/\( /(/g;
	$s =~ s/ \)/)/g;
	$s =~ s/ ([;,\]\[])/$1/g;
	$s =~ s/\* /*/g;
	return $s;
}

sub strip_comments {
	my ($s) = @_;
	$s =~ s{/\*.*?\*/}{ }gs;
	$s =~ s{//[^\n]*}{}g;
	return $s;
}

if (system('command -v groff > /dev/null 2>&1') != 0) {
	result("groff renders the pages",
	       "groff is not installed: apt-get install groff-base (man-db needs it too)");
	totals();
}

my @absent = grep { !-f "$top/$_" } @headers;
if (@absent) {
	result("the public headers are there",
	       map { "no $top/$_: run from the source tree (make check does) or set KTLSD_SRC to it" } @absent);
	totals();
}

# What the headers declare: functions, structs/enums, #defines.
my (%proto, %proto_file, %aggregate, %define, @functions);
for my $h (@headers) {
	my $text = strip_comments(slurp("$top/$h"));
	while ($text =~ /^\s*#\s*define\s+(KTLS_\w+)[ \t]+([^\n]+)/mg) {
		$define{$1} = norm($2);
	}
	$text =~ s/^\s*#[^\n]*$//mg;
	while ($text =~ /\b((?:struct|enum)\s+ktls_\w+)\s*\{([^{}]*)\}\s*;/g) {
		$aggregate{norm($1)} = norm("$1 {$2};");
	}
	my $flat = $text;
	1 while $flat =~ s/\{[^{}]*\}//gs;
	for my $decl (split /;/, $flat) {
		$decl = norm($decl);
		next unless $decl =~ /\b(ktls_\w+)\(/;
		my $name = $1;
		next if $decl =~ /^(?:struct|enum) \w+$/;
		$proto{$name} = "$decl;";
		$proto_file{$name} = $h;
		push @functions, $name;
	}
}
if (!@functions) {
	result("the headers declare functions",
	       "no function found in @headers under $top: run from the source tree or set KTLSD_SRC");
	totals();
}
say_lines(scalar(@functions) . " functions in @headers");

# Render a page as a reader sees it: plain text, no hyphenation, wide.
sub render {
	my ($page) = @_;
	my $out = `cd '$man' && groff -man -Tascii -P-cbou -rLL=250n '$page' 2>/dev/null`;
	return $out;
}

# Sections of rendered text: NAME => text, ...
sub sections {
	my ($text) = @_;
	my (%sec, $cur);
	for my $line (split /\n/, $text) {
		if ($line =~ /^([A-Z][A-Z ]+)$/) {
			$cur = $1;
			$sec{$cur} = '';
			next;
		}
		$sec{$cur} .= "$line\n" if defined $cur;
	}
	return %sec;
}

my @pages = sort glob("$man/man3/*.3");
my (%link, %page_of);
for my $path (@pages) {
	my $first = (split /\n/, slurp($path))[0] // '';
	my $base = basename($path, '.3');
	$link{$base} = $1 if $first =~ /^\.so\s+man3\/(\S+)\.3\s*$/;
}

# (a) every function has a page, every page a function.
my @problems;
for my $f (@functions) {
	my $path = "man/man3/$f.3";
	if (!-f "$top/$path") {
		push @problems, "$path is missing: $f() ($proto_file{$f}) needs a page, or a one-line link page \".so man3/PAGE.3\" to the page that documents it";
		next;
	}
	my $target = $link{$f} // $f;
	if ($link{$f} && (!-f "$man/man3/$target.3" || $link{$target})) {
		push @problems, "$path links to man3/$target.3, which is not a page: point it at the page that documents $f()";
		next;
	}
	$page_of{$f} = $target;
}
result("every function in the headers has its man3 page", @problems);

@problems = ();
for my $path (@pages) {
	my $base = basename($path, '.3');
	push @problems, "man/man3/$base.3 is stale: neither header declares $base(); remove it (git rm) or fix its name"
		unless $proto{$base};
}
result("every man3 page names a function of the headers", @problems);

# (b) NAME and SYNOPSIS of each page against the headers.
my (%rendered, %sec_of);
for my $page (sort keys %{{ map { $_ => 1 } values %page_of }}) {
	$rendered{$page} = render("man3/$page.3");
	$sec_of{$page} = { sections($rendered{$page}) };
}

@problems = ();
for my $f (@functions) {
	my $page = $page_of{$f} or next;
	my $sec = $sec_of{$page};
	my $name = $sec->{NAME} // '';
	push @problems, "man/man3/$page.3: NAME does not list $f (add it to the comma-separated names before \\-)"
		unless $name =~ /\b\Q$f\E\b/;
	my $syn = $sec->{SYNOPSIS} // '';
	my $hdr = basename($proto_file{$f});
	push @problems, "man/man3/$page.3: SYNOPSIS does not include <ktls/$hdr> (add .B #include <ktls/$hdr>)"
		unless $syn =~ /#include <ktls\/\Q$hdr\E>/;
	my %declared;
	(my $decls = $syn) =~ s/^\s*#[^\n]*$//mg;
	for my $decl (split /;/, $decls) {
		my $d = norm($decl);
		next unless $d =~ /\b(ktls_\w+)\(/;
		$declared{$1} = "$d;";
	}
	if (!$declared{$f}) {
		push @problems, "man/man3/$page.3: SYNOPSIS does not declare $f(); copy its declaration from $proto_file{$f}: $proto{$f}";
	} elsif ($declared{$f} ne $proto{$f}) {
		push @problems, "man/man3/$page.3: SYNOPSIS declares \"$declared{$f}\" but $proto_file{$f} declares \"$proto{$f}\": make the page say what the header says";
	}
}
for my $page (sort keys %sec_of) {
	(my $decls = $sec_of{$page}{SYNOPSIS} // '') =~ s/^\s*#[^\n]*$//mg;
	for my $decl (split /;/, $decls) {
		my $d = norm($decl);
		next unless $d =~ /\b(ktls_\w+)\(/;
		push @problems, "man/man3/$page.3: SYNOPSIS declares $1(), which no header declares: remove it"
			unless $proto{$1};
	}
}
result("each page's NAME and SYNOPSIS match the headers' declarations", @problems);

# Structs, enums and #defines a page quotes (in any section).
my %text_of = map { ("man/man3/$_.3" => $rendered{$_}) } keys %rendered;
$text_of{'man/man7/libktls.7'} = -f "$man/man7/libktls.7" ?
	`cd '$man' && groff -man -Tascii -P-cbou -rLL=250n man7/libktls.7 2>/dev/null` : '';
@problems = ();
for my $file (sort keys %text_of) {
	my $text = strip_comments($text_of{$file});
	while ($text =~ /\b((?:struct|enum)\s+ktls_\w+)\s*\{([^{}]*)\}\s*;/g) {
		my ($tag, $quoted) = (norm($1), norm("$1 {$2};"));
		if (!$aggregate{$tag}) {
			push @problems, "$file quotes $tag, which no header defines: remove it";
		} elsif ($quoted ne $aggregate{$tag}) {
			push @problems, "$file quotes \"$quoted\" but the header has \"$aggregate{$tag}\": copy the header's fields";
		}
	}
	while ($text =~ /^\s*#\s*define\s+(KTLS_\w+)[ \t]+([^\n]+)/mg) {
		my ($name, $value) = ($1, norm($2));
		if (!defined $define{$name}) {
			push @problems, "$file quotes #define $name, which no header defines: remove it";
		} elsif ($value ne $define{$name}) {
			push @problems, "$file says #define $name $value but the header says $define{$name}";
		}
	}
}
result("quoted structs, enums and #defines are the headers'", @problems);

# (c) Rendering: groff's warnings, and mandoc's where it is installed.
my @sources = ((map { "man3/" . basename($_) } @pages),
	       -f "$man/man7/libktls.7" ? ('man7/libktls.7') : ());
@problems = ();
for my $src (@sources) {
	next if $link{basename($src, '.3')};
	my $warn = `cd '$man' && groff -man -ww -z '$src' 2>&1`;
	push @problems, map { "man/$src: $_ (groff -man -ww -z man/$src)" }
		grep { length } split /\n/, $warn;
}
result("every page renders without groff warnings", @problems);

if (system('command -v mandoc > /dev/null 2>&1') == 0) {
	@problems = ();
	for my $src (@sources) {
		next if $link{basename($src, '.3')};
		my $lint = `cd '$man' && mandoc -Tlint -Wwarning '$src' 2>&1`;
		push @problems, map { "$_ (mandoc -Tlint man/$src)" }
			grep { length } split /\n/, $lint;
	}
	result("every page is mandoc -Tlint clean", @problems);
} else {
	skip("every page is mandoc -Tlint clean", "mandoc is not installed (apt-get install mandoc)");
}

# libktls(7), the overview, names every function.
@problems = ();
my $overview = $text_of{'man/man7/libktls.7'};
if (!$overview) {
	push @problems, "man/man7/libktls.7 is missing: the overview page naming every call";
} else {
	for my $f (@functions) {
		push @problems, "man/man7/libktls.7 does not name $f(3): add it where it belongs"
			unless $overview =~ /\b\Q$f\E\(3\)/;
	}
}
result("libktls(7) names every function", @problems);

# EXAMPLES compile against the headers as printed.
my $cc = $ENV{CC} // 'cc';
if (system("command -v '$cc' > /dev/null 2>&1") != 0) {
	skip("each page's EXAMPLES compile", "no C compiler ($cc)");
	totals();
}
my $tmp = tempdir(CLEANUP => !$ENV{KEEP});
@problems = ();
for my $file (sort keys %text_of) {
	my %sec = sections($text_of{$file});
	my $ex = $sec{EXAMPLES} or next;
	next unless $ex =~ /#include/;
	# The code is the indented block that starts with its first #include.
	$ex =~ s/\A.*?^(?=([ \t]*)#include)//ms;
	my $indent = $1;
	my @code;
	for my $line (split /\n/, $ex) {
		last if $line =~ /\S/ && $line !~ /^\Q$indent\E/;
		$line =~ s/^\Q$indent\E//;
		push @code, $line;
	}
	my $c = "$tmp/" . basename($file) . ".c";
	open(my $fh, '>', $c) or die "$c: $!\n";
	print $fh join("\n", @code), "\n";
	close($fh);
	my $out = `'$cc' -std=gnu11 -D_GNU_SOURCE -fsyntax-only -Wall -Wextra -Werror -I'$top/include' '$c' 2>&1`;
	push @problems, "$file: its EXAMPLES program does not compile:",
		map { "  $_" } split /\n/, $out if $?;
}
result("each page's EXAMPLES compile against the headers", @problems);
totals();

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/secretscan"
)

// errFound is scan's answer when it found keys: exit status 1.
var errFound = errors.New("found keygate API keys; revoke them and remove them from where they are")

// finding is one key found, with where.
type finding struct {
	where string // "file:line", or "commit:file:line" with --git
	secretscan.Found
}

// runScan finds this deployment's API keys in files, directories (walked),
// standard input ("-" or no path), or with --git a repository's whole
// history, offline, by shape and check digits. It prints each with where
// and the key obfuscated, and exits 1 when it found any. With --report it
// records each as an exposure, as a code host's report would.
func runScan(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "scan", "[--git] [--report] [PATH…]")
	git := c.fs.Bool("git", false, "walk the history of the git repositories at PATH (default .): every line ever added")
	report := c.fs.Bool("report", false, "record every key found as an exposure (source keygate-scan): active keys are revoked")
	paths, err := c.parseAny(args)
	if err != nil {
		return err
	}
	finder := secretscan.NewFinder(c.cfg.KeyPrefix)
	var found []finding
	add := func(where string) func(secretscan.Found) {
		return func(f secretscan.Found) {
			found = append(found, finding{where: where + ":" + strconv.Itoa(f.Line), Found: f})
		}
	}
	switch {
	case *git:
		if len(paths) == 0 {
			paths = []string{"."}
		}
		for _, p := range paths {
			if err := scanGit(ctx, p, finder, &found); err != nil {
				return err
			}
		}
	case len(paths) == 0 || len(paths) == 1 && paths[0] == "-":
		if err := finder.Scan(e.stdin, add("(stdin)")); err != nil {
			return fmt.Errorf("read standard input: %w", err)
		}
	default:
		for _, p := range paths {
			if err := scanPath(p, finder, add); err != nil {
				return err
			}
		}
	}
	for _, f := range found {
		fmt.Fprintf(e.stdout, "%s: %s (%s)\n", f.where, credential.Obfuscate(f.Parsed.Prefix, f.Parsed.Env, "apikey_"+f.Parsed.ID), f.Parsed.Env)
	}
	if *report && len(found) > 0 {
		if err := reportFound(ctx, c, found); err != nil {
			return err
		}
	}
	if len(found) > 0 {
		return errFound
	}
	return nil
}

// parseAny is parse for commands that take any number of positional
// arguments.
func (c *command) parseAny(args []string) ([]string, error) {
	pos, err := c.positional(args)
	if err != nil {
		return nil, err
	}
	return pos, c.cfg.Validate(false)
}

// scanPath scans a file, or every regular file under a directory (skipping
// .git directories).
func scanPath(root string, finder *secretscan.Finder, add func(string) func(secretscan.Found)) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := finder.Scan(f, add(path)); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	})
}

// scanGit scans every line added in the history of the repository at dir
// (every branch and tag), from git log's patches.
func scanGit(ctx context.Context, dir string, finder *secretscan.Finder, found *[]finding) error {
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "log", "--all", "-p", "--no-color", "--no-ext-diff", "--unified=0", "--format=commit %H")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("--git needs git: %w", err)
	}
	walkErr := walkPatches(out, finder, found)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git log in %s: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	return walkErr
}

// walkPatches reads git log -p output and scans each added line, knowing
// its commit, file and line number.
func walkPatches(r io.Reader, finder *secretscan.Finder, found *[]finding) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var commit, file string
	line := 0
	for sc.Scan() {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "commit "):
			commit, file = strings.TrimPrefix(text, "commit "), ""
		case strings.HasPrefix(text, "+++ "):
			file = strings.TrimPrefix(strings.TrimPrefix(text, "+++ "), "b/")
		case strings.HasPrefix(text, "@@ "):
			line = hunkStart(text)
		case strings.HasPrefix(text, "+") && file != "":
			where := commit[:min(12, len(commit))] + ":" + file + ":" + strconv.Itoa(line)
			finder.Scan(strings.NewReader(text[1:]), func(f secretscan.Found) {
				*found = append(*found, finding{where: where, Found: f})
			})
			line++
		}
	}
	return sc.Err()
}

// hunkStart returns the first line of a hunk's new side: "@@ -a,b +c,d @@".
func hunkStart(h string) int {
	i := strings.Index(h, " +")
	if i < 0 {
		return 0
	}
	rest := h[i+2:]
	if j := strings.IndexAny(rest, ", "); j >= 0 {
		rest = rest[:j]
	}
	n, _ := strconv.Atoi(rest)
	return n
}

// reportFound records the keys found as exposures, through the same use
// case as a code host's report, and says what became of them.
func reportFound(ctx context.Context, c *command, found []finding) error {
	svc, closeStore, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	reports := make([]keygate.ExposureReport, len(found))
	for i, f := range found {
		reports[i] = keygate.ExposureReport{Token: f.Token, Source: keygate.SourceKeygateScan, Reference: f.where, Description: "Found by keygate scan"}
	}
	outcomes, err := svc.ReportExposures(ctx, reports)
	if err != nil {
		return err
	}
	var recorded, revoked, unknown int
	for _, o := range outcomes {
		switch {
		case !o.Known:
			unknown++
		case o.Created:
			recorded++
			if o.Exposure.Action == keygate.ActionRevoked {
				revoked++
			}
		}
	}
	fmt.Fprintf(c.env.stdout, "reported: %d new exposure(s) recorded, %d active key(s) revoked, %d not keys of this deployment\n", recorded, revoked, unknown)
	return nil
}

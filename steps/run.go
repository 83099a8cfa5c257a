package steps

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/cucumber/godog"
)

// Environment variables Run reads.
const (
	// EnvSeed replays a run: the seed godog shuffles scenarios with.
	EnvSeed = "EVENTSPEC_SEED"
	// EnvFormat adds a CI report: "junit" or "cucumber" (JSON), or a
	// comma-separated list of both.
	EnvFormat = "EVENTSPEC_FORMAT"
	// EnvReportDir is where reports go (default: os.TempDir()/eventspec-reports).
	EnvReportDir = "EVENTSPEC_REPORT_DIR"
)

// DefaultTags excludes scenarios that only record a shape (@stub) or a
// plan (@roadmap).
const DefaultTags = "~@stub && ~@roadmap"

// Options configure Run.
type Options struct {
	// Features holds the feature files, usually an embed.FS.
	Features fs.FS
	// Paths are feature files or directories inside Features (default:
	// the whole FS).
	Paths []string
	// Register adds the domain (and any project steps) to the suite.
	Register func(*Suite)
	// Suite, when set, is used instead of a new one (Register still runs).
	Suite *Suite
	// Tags filters scenarios with godog's syntax; DefaultTags when empty.
	Tags string
	// Seed orders scenarios; 0 means EVENTSPEC_SEED when set, else a
	// random seed that Run logs so the order can be replayed.
	Seed int64
	// Format is the godog formatter for Output (default "pretty").
	Format string
	// Output receives the formatter's output (default os.Stdout).
	Output io.Writer
	// Concurrency runs that many scenarios at once (default 1).
	Concurrency int
	// Colors keeps ANSI colours in the output (off by default: go test
	// output usually ends up in a log).
	Colors bool
}

// Run runs features as subtests of t through godog, strictly (undefined,
// pending and ambiguous steps fail), in a random order whose seed is
// logged (set EVENTSPEC_SEED to replay it). Output is pretty-printed;
// EVENTSPEC_FORMAT=junit|cucumber also writes a report file to
// EVENTSPEC_REPORT_DIR. A suite with registration problems (duplicate or
// ambiguous step patterns, malformed domain) fails before any scenario
// runs.
func Run(t *testing.T, opts Options) {
	t.Helper()
	s, gopts, err := prepare(reportName(t.Name()), opts)
	if err != nil {
		t.Fatalf("steps: %v", err)
	}
	gopts.TestingT = t
	for _, r := range reportsOf(gopts.Format) {
		t.Logf("steps: %s report: %s", r[0], r[1])
	}
	status := godog.TestSuite{
		Name: t.Name(),
		TestSuiteInitializer: func(ts *godog.TestSuiteContext) {
			ts.BeforeSuite(func() {
				// godog publishes the seed it picked in GODOG_SEED for the
				// length of the run.
				seed, _ := strconv.ParseInt(os.Getenv("GODOG_SEED"), 10, 64)
				s.SetSeed(seed)
				t.Logf("steps: scenarios run in random order with seed %d; replay with %s=%d", seed, EnvSeed, seed)
			})
		},
		ScenarioInitializer: s.InitializeScenario,
		Options:             gopts,
	}.Run()
	if status != 0 {
		t.Fatalf("steps: godog exited with status %d (seed %s)", status, os.Getenv("GODOG_SEED"))
	}
}

// Check builds the suite and the options Run would use and reports what
// would make Run fail before any scenario: registration problems, missing
// features, a bad EVENTSPEC_SEED or EVENTSPEC_FORMAT.
func Check(opts Options) error {
	_, _, err := prepare("check", opts)
	return err
}

// prepare builds and checks the suite and the godog options.
func prepare(name string, opts Options) (*Suite, *godog.Options, error) {
	s := opts.Suite
	if s == nil {
		s = NewSuite()
	}
	if opts.Register != nil {
		opts.Register(s)
	}
	if err := s.Err(); err != nil {
		return nil, nil, err
	}
	if opts.Features == nil {
		return nil, nil, errorf("Options.Features is nil; embed the feature files (//go:embed) and pass the embed.FS")
	}
	seed := opts.Seed
	if seed == 0 {
		if env := os.Getenv(EnvSeed); env != "" {
			v, err := strconv.ParseInt(env, 10, 64)
			if err != nil || v == 0 {
				return nil, nil, errorf("%s=%q is not a non-zero integer seed", EnvSeed, env)
			}
			seed = v
		} else {
			seed = -1 // godog picks and publishes one
		}
	}
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	tags := opts.Tags
	if tags == "" {
		tags = DefaultTags
	}
	format := opts.Format
	if format == "" {
		format = "pretty"
	}
	reports, err := reportFormats(name)
	if err != nil {
		return nil, nil, err
	}
	if reports != "" {
		format += "," + reports
	}
	out := opts.Output
	if out == nil {
		out = os.Stdout
	}
	return s, &godog.Options{
		Format:      format,
		Output:      out,
		Paths:       paths,
		FS:          opts.Features,
		Tags:        tags,
		Strict:      true,
		Randomize:   seed,
		Concurrency: opts.Concurrency,
		NoColors:    !opts.Colors,
	}, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// reportName names a test's report after the package of Run's caller and
// the test, so that TestFeatures of two packages do not overwrite each
// other's report: "eventspec_features_middleware.TestFeatures".
func reportName(test string) string {
	pkg := "unknown"
	if pc, _, _, ok := runtime.Caller(2); ok {
		if fn := runtime.FuncForPC(pc); fn != nil {
			name := fn.Name() // e.g. github.com/x/y/features/middleware_test.TestFeatures
			if i := strings.LastIndex(name, "/"); i >= 0 {
				if j := strings.Index(name[i:], "."); j >= 0 {
					name = name[:i+j]
				}
			} else if j := strings.Index(name, "."); j >= 0 {
				name = name[:j]
			}
			name = strings.TrimSuffix(name, "_test")
			if parts := strings.Split(name, "/"); len(parts) > 1 && strings.Contains(parts[0], ".") {
				name = strings.Join(parts[1:], "/")
			}
			pkg = name
		}
	}
	return pkg + "." + test
}

// reportFormats turns EVENTSPEC_FORMAT into godog "name:file" formatters.
func reportFormats(name string) (string, error) {
	env := strings.TrimSpace(os.Getenv(EnvFormat))
	if env == "" {
		return "", nil
	}
	dir := os.Getenv(EnvReportDir)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "eventspec-reports")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", errorf("%s: %v", EnvReportDir, err)
	}
	base := unsafeName.ReplaceAllString(name, "_")
	var out []string
	for _, f := range splitNames(env) {
		switch f {
		case "junit":
			out = append(out, "junit:"+filepath.Join(dir, base+".junit.xml"))
		case "cucumber":
			out = append(out, "cucumber:"+filepath.Join(dir, base+".cucumber.json"))
		default:
			return "", errorf("%s=%q: use junit, cucumber or both (comma-separated)", EnvFormat, env)
		}
	}
	return strings.Join(out, ","), nil
}

// reportsOf lists the (format, file) pairs of a godog format string.
func reportsOf(format string) [][2]string {
	var out [][2]string
	for _, f := range strings.Split(format, ",") {
		if name, file, ok := strings.Cut(f, ":"); ok {
			out = append(out, [2]string{name, file})
		}
	}
	return out
}

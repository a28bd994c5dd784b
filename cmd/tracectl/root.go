package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/tracectl/tracectl/blocks"
	"github.com/tracectl/tracectl/internal/bucketurl"
	"github.com/tracectl/tracectl/internal/ui"
)

// Exit codes, documented in the root command's help.
const (
	exitOK          = 0
	exitCheckFailed = 1   // the command ran and its check failed (damage found, nothing matched with --fail-if-empty)
	exitError       = 2   // bad usage, bad input, storage errors
	exitInterrupted = 130 // SIGINT (Ctrl-C)
	exitTerminated  = 143 // SIGTERM (timeout, systemd, Kubernetes)
)

const exitCodesHelp = `Exit status:
  0    success
  1    the command ran and its check failed (e.g. blocks verify found damage),
       or it left out a damaged block (named on stderr; 2 with --strict)
  2    error: bad flags or arguments, bad input, bucket or I/O failure
  130  interrupted (SIGINT, Ctrl-C)
  143  terminated (SIGTERM)
A closed stdout pipe (| head has read enough) stops the command with 0 and
no message.`

// Defaults of the persistent flags.
const (
	defaultBucket = "file://./tracectl-data"
	defaultTenant = "single-tenant"
	defaultConfig = "tracectl.yaml"
)

// checkFailedError makes Main exit with exitCheckFailed after printing msg.
type checkFailedError struct{ msg string }

func (e *checkFailedError) Error() string { return e.msg }

// globals are the resolved persistent flags and the streams.
type globals struct {
	bucketURL  string
	tenant     string
	configFile string
	io         *ui.IO
	prof       profiler
	strict     bool            // --strict: a damaged block left out is an error
	stores     []*blocks.Store // opened by the command, for their damaged blocks
	readOnly   bool            // the command only reads: it creates no bucket
	// allowEmpty: --allow-empty of verify, compact and retain; requireBlocks
	// says the command fails on a tenant without blocks unless it is set.
	allowEmpty, requireBlocks bool
	empty                     string      // what noteEmpty found: "" when there were blocks
	progress                  *outputFlag // --progress: auto, always or never
	// bar shows progress on stderr (nil before the flags are resolved);
	// command names the command in it ("blocks verify").
	bar     *ui.Bar
	command string
}

// startProgress sets up the progress bar --progress asks for: drawn on
// stderr when it is a terminal (auto) or always. While it is drawn,
// everything written to stderr (and to stdout on a terminal) erases it
// first; stdout's bytes are the same with or without it.
func (g *globals) startProgress(cmd *cobra.Command) {
	on := g.progress.value == "always" || g.progress.value == "auto" && g.io.ErrTTY
	g.bar = ui.NewBar(g.io.Err, on, g.io.ErrWidth())
	g.command = strings.ReplaceAll(commandKey(cmd), ".", " ")
	g.io.Err = g.bar.Writer(g.io.Err)
	if g.io.OutTTY {
		g.io.Out = g.bar.Writer(g.io.Out)
	}
}

// showProgress draws the bar for what st has read.
func (g *globals) showProgress(st *blocks.Store) {
	if !g.bar.On() {
		return
	}
	st.SetProgress(func(p blocks.Progress) {
		g.bar.Bytes(fmt.Sprintf("%s: %d/%d blocks, %d/%d row groups ", g.command,
			p.Blocks, p.BlocksTotal, p.RowGroups, p.RowGroupsTotal), p.Bytes, p.BytesTotal)
	})
}

// openStore opens the bucket and tenant named by the persistent flags.
func (g *globals) openStore(ctx context.Context) (*blocks.Store, func(), error) {
	if err := blocks.ValidateTenant(g.tenant); err != nil {
		return nil, nil, fmt.Errorf("--tenant: %w", err)
	}
	open := bucketurl.Open
	if g.readOnly {
		open = bucketurl.OpenExisting
	}
	b, err := open(ctx, g.bucketURL)
	if err != nil {
		return nil, nil, err
	}
	st := blocks.NewStore(b, g.tenant)
	if g.requireBlocks && !g.allowEmpty {
		// Fail before the command prints anything: a report on stdout
		// would read as a success to a script. (No listing of metas here:
		// it would note damaged ones the command reports itself.)
		holds, err := st.HoldsObjects(ctx)
		if err != nil {
			b.Close()
			return nil, nil, err
		}
		if !holds {
			msg := emptyMessage(ctx, g, st)
			b.Close()
			return nil, nil, fmt.Errorf("%s (--allow-empty accepts it)", msg)
		}
	}
	g.showProgress(st)
	g.stores = append(g.stores, st)
	return st, func() {
		g.noteEmpty(ctx, st) // while the bucket is open
		b.Close()
	}, nil
}

// noteEmpty remembers, for emptyTenant, that st found no block: which
// tenants the bucket has instead.
func (g *globals) noteEmpty(ctx context.Context, st *blocks.Store) {
	if g.empty != "" || !st.Empty() {
		return
	}
	g.empty = emptyMessage(ctx, g, st)
}

// emptyMessage says that st's tenant has no block, and which tenants the
// bucket has instead.
func emptyMessage(ctx context.Context, g *globals, st *blocks.Store) string {
	msg := fmt.Sprintf("no blocks in tenant %q of %s", g.tenant, g.bucketURL)
	if ts, err := st.Tenants(ctx); err == nil && len(ts) > 0 {
		msg += "; tenants in the bucket: " + strings.Join(ts, ", ")
	} else if err == nil {
		msg += "; the bucket has no tenants"
	}
	return msg
}

// emptyTenant reports a tenant in which the command found no block:
// a warning naming the tenants the bucket has, or an error for a command
// that requires blocks (verify, compact, retain) without --allow-empty
// (a warning too when the command failed already).
func (g *globals) emptyTenant(failed bool) error {
	if g.empty == "" {
		return nil
	}
	if g.requireBlocks && !g.allowEmpty && !failed {
		return fmt.Errorf("%s (--allow-empty accepts it)", g.empty)
	}
	fmt.Fprintf(g.io.Err, "tracectl: warning: %s\n", g.empty)
	return nil
}

// damaged prints a warning for every damaged block the command's stores
// left out and returns how many there were.
func (g *globals) damaged() int {
	n := 0
	for _, st := range g.stores {
		for _, err := range st.Damaged() {
			fmt.Fprintf(g.io.Err, "tracectl: warning: damaged block left out: %v\n", err)
			n++
		}
	}
	return n
}

// Main runs tracectl with args and returns the exit status.
func Main(args []string, io *ui.IO) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	// Unless SIGPIPE is notified, Go kills the process when a write to
	// stdout or stderr (fd 1 or 2) hits a closed pipe (exit 141 under
	// `set -o pipefail`); notified, the write fails with EPIPE instead,
	// which runWithSignals treats as the reader having had enough.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)
	return runWithSignals(args, io, sigs)
}

// runWithSignals is Main with the signals it stops on (SIGINT and SIGTERM) coming in
// on sigs: the first cancels the command, which cleans up as on any error
// (no partial block, no spill directory left), and sets the exit status.
func runWithSignals(args []string, io *ui.IO, sigs <-chan os.Signal) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got atomic.Value // the signal received
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case s := <-sigs:
			got.Store(s)
			cancel()
		case <-stop:
		}
	}()
	// A write to stdout failing with EPIPE (`| head` has read enough)
	// stops the command; it then ends with success and says nothing.
	out := ui.NewBrokenPipe(io.Out, cancel)
	sio := *io
	sio.Out = out
	io = &sio
	g := &globals{io: io}
	root := newRootCmd(g)
	if completing(args) {
		registerCompletions(root, g)
	}
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	err := root.ExecuteContext(ctx)
	close(stop)
	<-stopped
	if got.Load() == nil {
		select {
		case s := <-sigs: // not taken yet
			got.Store(s)
			cancel()
		default:
		}
	}
	if err == nil && got.Load() != nil {
		// A signal came while the command finished (writing the tenant
		// index, say): it exits as interrupted all the same.
		err = ctx.Err()
	}
	g.bar.Done()
	if perr := g.prof.stop(); err == nil {
		err = perr
	}
	if out.Broken() {
		return exitOK
	}
	if e := g.emptyTenant(err != nil); e != nil {
		err = e
	}
	if n := g.damaged(); n > 0 && err == nil {
		if g.strict {
			fmt.Fprintf(io.Err, "tracectl: %d damaged blocks left out (--strict)\n", n)
			return exitError
		}
		return exitCheckFailed
	}
	if err == nil {
		return exitOK
	}
	var cf *checkFailedError
	switch {
	case errors.As(err, &cf):
		fmt.Fprintln(io.Err, cf.msg)
		return exitCheckFailed
	case ctx.Err() != nil:
		if got.Load() == syscall.SIGTERM {
			fmt.Fprintln(io.Err, "tracectl: terminated")
			return exitTerminated
		}
		fmt.Fprintln(io.Err, "tracectl: interrupted")
		return exitInterrupted
	default:
		fmt.Fprintf(io.Err, "tracectl: %s\n", condenseError(err.Error()))
		if hint := bucketurl.Hint(g.bucketURL, err); hint != "" {
			fmt.Fprintf(io.Err, "tracectl: %s\n", hint)
		}
		return exitError
	}
}

// sdkRule separates the parts of the Azure SDK's multi-line error dumps.
const sdkRule = "\n--------------------------------------------------------------------------------\n"

// condenseError shortens an Azure SDK error dump (request, status, error
// code, then the response body as XML) to one line: the request, the
// status and the code.
//
// A DefaultAzureCredential error (one indented line per credential tried,
// each with its own HTTP dump) keeps the credentials' lines and statuses.
func condenseError(msg string) string {
	azIdentity := strings.Contains(msg, "DefaultAzureCredential") && strings.Contains(msg, "\n\t")
	if !strings.Contains(msg, sdkRule) && !azIdentity {
		return msg
	}
	lines := strings.Split(msg, "\n")
	parts := []string{lines[0]}
	for _, l := range lines[1:] {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "RESPONSE ") || strings.HasPrefix(t, "ERROR CODE: ") ||
			azIdentity && strings.HasPrefix(l, "\t") && !strings.HasPrefix(l, "\t\t") {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "; ")
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "tracectl",
		Short: "Process trace data at rest: ingest, query, compact, sample, redact",
		Long: `tracectl ingests OTLP, Jaeger and Zipkin trace files into Grafana Tempo's
vParquet4 block layout on any gocloud.dev bucket (file://, mem://, s3://,
gs://, azblob://) and works on those blocks without a server.

Settings come from flags, then TRACECTL_* environment variables, then the
config file (--config, default ./tracectl.yaml if present). Persistent flags
use their own names (bucket, tenant; TRACECTL_BUCKET, TRACECTL_TENANT); a
command's flags use "<command>.<flag>" in the file (e.g. ingest.max-block-bytes)
and TRACECTL_<COMMAND>_<FLAG> in the environment.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := resolveSettings(cmd, g); err != nil {
				return err
			}
			g.startProgress(cmd)
			if err := checkCounts(cmd); err != nil {
				return err
			}
			g.readOnly = isReadCommand(cmd)
			setMemoryLimit(cmd.Context(), cmd)
			return g.prof.start()
		},
	}
	pf := root.PersistentFlags()
	if g.progress == nil {
		g.progress = newEnumFlag("mode", "auto", "auto", "always", "never")
	}
	pf.StringVar(&g.bucketURL, "bucket", defaultBucket, "bucket URL (file://, mem://, s3://, gs://, azblob://)")
	pf.StringVar(&g.tenant, "tenant", defaultTenant, "tenant (folder under the bucket)")
	pf.StringVar(&g.configFile, "config", "", "config file (default ./tracectl.yaml if it exists)")
	pf.BoolVar(&g.strict, "strict", false, "exit 2 instead of 1 when a damaged block was left out")
	pf.StringVar(&g.prof.cpuFile, "cpuprofile", "", "write a CPU profile to this file (for go tool pprof)")
	pf.StringVar(&g.prof.memFile, "memprofile", "", "write a heap (allocations) profile to this file on exit")
	pf.Var(g.progress, "progress", "progress bar on stderr: auto (when stderr is a terminal), always, never")

	root.AddCommand(
		newIngestCmd(g, nil),
		newBlocksCmd(g),
		newTraceCmd(g, nil),
		newTraceQLCmd(g),
		newQueryCmd(g, nil),
		newMetricsCmd(g),
		newRedactCmd(g, nil),
		newMetricsgenCmd(g, nil),
		newGenCmd(g),
		newSampleCmd(g),
		newCompactCmd(g, nil),
		newRetainCmd(g, nil),
		newVersionCmd(g),
	)
	info := buildInfo()
	root.Version = info.Version
	root.Flags().Bool("version", false, "print the version, commit, Go version and block format (as tracectl version)")
	root.SetVersionTemplate(strings.ReplaceAll(info.String(), "{{", `{{"{{"}}`))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	return root
}

// completing reports whether args ask for shell completions (cobra's
// hidden __complete commands, which follow any persistent flags): only
// then are the value completions registered, a walk of every command's
// flags.
func completing(args []string) bool {
	return slices.Contains(args, cobra.ShellCompRequestCmd) || slices.Contains(args, cobra.ShellCompNoDescRequestCmd)
}

// resolveSettings fills every flag the user did not set from the
// environment or the config file, so flags > env > file. Values are pushed
// into the flags themselves, and options structs bound to them see the
// result; viper is used only here.
func resolveSettings(cmd *cobra.Command, g *globals) error {
	v := viper.New()
	v.SetEnvPrefix("TRACECTL")
	v.SetEnvKeyReplacer(envKeyReplacer)
	v.AutomaticEnv()

	cfg := g.configFile
	if cfg == "" {
		cfg = os.Getenv("TRACECTL_CONFIG")
	}
	explicit := cfg != ""
	// What the file and the environment may set, worked out when either
	// sets something (it walks every command's flags).
	var keys map[string]bool
	settable := func() map[string]bool {
		if keys == nil {
			keys = settingKeys(cmd.Root())
		}
		return keys
	}
	if cfg == "" {
		cfg = defaultConfig
	}
	if _, err := os.Stat(cfg); err == nil || explicit {
		v.SetConfigFile(cfg)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("config %s: %w", cfg, err)
		}
		if err := checkConfigKeys(settable(), cfg); err != nil {
			return err
		}
	}
	if environ := os.Environ(); setsSomething(environ) {
		if err := checkEnv(settable(), environ); err != nil {
			return err
		}
	}

	prefix := commandKey(cmd)
	persistent := cmd.Root().PersistentFlags()
	var firstErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || firstErr != nil || f.Name == "config" || f.Name == "help" {
			return
		}
		key := f.Name
		if persistent.Lookup(f.Name) == nil && prefix != "" {
			key = prefix + "." + f.Name
		}
		if !v.IsSet(key) {
			return
		}
		val := v.Get(key)
		if cs, ok := f.Value.(configSetter); ok {
			if err := cs.SetConfig(val); err != nil {
				str, _ := val.(string) // a list or mapping is not quoted back
				firstErr = settingError(key, cfg, f, str, err)
			}
			return
		}
		var s string
		switch x := val.(type) {
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = fmt.Sprint(p)
			}
			s = strings.Join(parts, ",")
		default:
			s = fmt.Sprint(x)
		}
		if err := f.Value.Set(s); err != nil {
			firstErr = settingError(key, cfg, f, s, err)
		}
	})
	return firstErr
}

// settingError is the error of a value the environment or config file
// cfg gave setting key (flag f): it names where the value came from (a
// variable that is set and not empty wins over the file, as it does for
// viper) and says what a number or boolean should look like instead of
// quoting strconv. An empty value (a list or mapping of the file) is not
// quoted.
func settingError(key, cfg string, f *pflag.Flag, value string, err error) error {
	source := "config " + cfg + ": " + key
	if v, ok := os.LookupEnv(envName(key)); ok && v != "" {
		source = envName(key)
	}
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		switch {
		case ne.Func == "ParseBool":
			err = errors.New("want true or false")
		case errors.Is(ne.Err, strconv.ErrRange):
			err = errors.New("out of range")
		default:
			err = errors.New("want a number")
		}
	}
	if value == "" {
		return fmt.Errorf("%s: invalid value for --%s: %w", source, f.Name, err)
	}
	return fmt.Errorf("%s: invalid value %q for --%s: %w", source, value, f.Name, err)
}

// configSetter is a flag value that takes a structured config value (a
// list of mappings) as well as the string a flag or variable gives.
type configSetter interface{ SetConfig(any) error }

// commandKey returns the config key prefix of cmd: its path below the root
// joined by dots ("blocks.verify").
func commandKey(cmd *cobra.Command) string {
	var parts []string
	for c := cmd; c != nil && c.HasParent(); c = c.Parent() {
		parts = append([]string{c.Name()}, parts...)
	}
	return strings.Join(parts, ".")
}

// newGroupCmd returns a command that only holds subcommands: run bare it
// prints help; with an unknown subcommand it is a usage error (exit 2).
func newGroupCmd(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(subs...)
	return cmd
}

// outputFlag is an enum flag for -o (and, made by newEnumFlag, others).
type outputFlag struct {
	value   string
	allowed []string
	kind    string // shown in help as the value's type; "format" if empty
}

func newOutputFlag(def string, allowed ...string) *outputFlag {
	return &outputFlag{value: def, allowed: allowed}
}

// newEnumFlag is an enum flag whose help names its value kind.
func newEnumFlag(kind, def string, allowed ...string) *outputFlag {
	return &outputFlag{value: def, allowed: allowed, kind: kind}
}

func (o *outputFlag) String() string { return o.value }
func (o *outputFlag) Type() string {
	if o.kind != "" {
		return o.kind
	}
	return "format"
}
func (o *outputFlag) Set(s string) error {
	for _, a := range o.allowed {
		if s == a {
			o.value = s
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(o.allowed, "|"))
}

// addOutputFlag registers -o/--output with the allowed values.
func addOutputFlag(fs *pflag.FlagSet, o *outputFlag) {
	fs.VarP(o, "output", "o", "output format: "+strings.Join(o.allowed, "|"))
}

// checkCounts rejects negative values of integer flags (counts, limits,
// concurrency: 0 means "default" or "no limit" where it means anything)
// and of --since, which would otherwise be taken as their defaults or
// as a range in the future.
func checkCounts(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil {
			return
		}
		switch f.Value.Type() {
		case "int":
			if n, perr := strconv.Atoi(f.Value.String()); perr == nil && n < 0 {
				err = fmt.Errorf("--%s %d: must not be negative", f.Name, n)
			}
		case "duration":
			if f.Name == "since" {
				if d, perr := time.ParseDuration(f.Value.String()); perr == nil && d < 0 {
					err = fmt.Errorf("--since %s: must not be negative", f.Value.String())
				}
			}
		}
	})
	return err
}

// requireBlocks makes cmd fail on a tenant without blocks unless its
// --allow-empty is given (verify, compact, retain: a mistyped tenant in a
// cron job must not pass as "nothing to do").
func requireBlocks(g *globals, cmd *cobra.Command) {
	cmd.Flags().BoolVar(&g.allowEmpty, "allow-empty", false, "succeed on a tenant without blocks (default: exit 2, as for a mistyped tenant)")
	cmd.PreRun = func(*cobra.Command, []string) { g.requireBlocks = true }
}

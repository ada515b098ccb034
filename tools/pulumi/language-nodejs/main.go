// pulumi-language-nodejs (kubeship's build): a Pulumi language host for
// Node.js programs, written for kubeship because the upstream host's module is
// not served by this machine's Go module proxy. It implements what `pulumi
// preview/up/destroy/refresh` and policy packs need: Handshake, GetPluginInfo,
// GetRequiredPlugins, Run (@pulumi/pulumi's cmd/run under node) and RunPlugin
// for analyzers (cmd/run-policy-pack). Everything else answers Unimplemented,
// which the engine tolerates for these commands (`pulumi install`, `about` and
// `new` need more).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc"
	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is set with -ldflags "-X main.Version=3.276.0".
var Version = "3.276.0"

// Exit code with which @pulumi/pulumi's run script says it has already reported the error.
const exitLoggedError = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	tracing       string
}

func main() {
	// -logtostderr and -v are registered by glog (imported through the SDK).
	tracing := flag.String("tracing", "", "Zipkin-compatible tracing endpoint")
	_ = flag.Bool("logflow", false, "flow logging (accepted, unused)")
	_ = flag.String("root", "", "project root (accepted, unused)")
	_ = flag.Bool("typescript", true, "accepted, unused (runtime options come with each request)")
	flag.Parse()

	h := &host{tracing: *tracing}
	if args := flag.Args(); len(args) > 0 {
		h.engineAddress = args[len(args)-1]
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: language host RPC stopped serving: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// packageJSON holds the fields of a package.json that matter here.
type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Main    string `json:"main"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// GetRequiredPlugins lists the resource plugins named by Pulumi packages
// installed in the node_modules directories from the program directory upwards.
func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd() //nolint:staticcheck
	}
	seen := map[string]bool{}
	var plugins []*pulumirpc.PluginDependency
	for d := dir; d != ""; {
		nm := filepath.Join(d, "node_modules")
		for _, pj := range packageJSONs(nm) {
			var p packageJSON
			b, err := os.ReadFile(pj)
			if err != nil || json.Unmarshal(b, &p) != nil || !p.Pulumi.Resource {
				continue
			}
			name := p.Pulumi.Name
			if name == "" {
				name = strings.TrimPrefix(strings.TrimPrefix(p.Name, "@pulumi/"), "@")
			}
			version := p.Pulumi.Version
			if version == "" {
				version = p.Version
			}
			if version != "" && !strings.HasPrefix(version, "v") {
				version = "v" + version
			}
			key := name + "@" + version
			if name == "" || seen[key] {
				continue
			}
			seen[key] = true
			plugins = append(plugins, &pulumirpc.PluginDependency{
				Name: name, Kind: "resource", Version: version, Server: p.Pulumi.Server,
			})
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// packageJSONs returns node_modules/*/package.json and node_modules/@*/*/package.json.
func packageJSONs(nm string) []string {
	var out []string
	top, _ := filepath.Glob(filepath.Join(nm, "*", "package.json"))
	scoped, _ := filepath.Glob(filepath.Join(nm, "@*", "*", "package.json"))
	out = append(out, top...)
	return append(out, scoped...)
}

// findRunScript locates @pulumi/pulumi's cmd/<script> from dir upwards, as node would.
func findRunScript(dir, script string) (string, error) {
	for d := dir; ; {
		p := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", script)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("it looks like the Pulumi SDK has not been installed: " +
				"no node_modules/@pulumi/pulumi/cmd/" + script + " above " + dir + " (run npm ci)")
		}
		d = parent
	}
}

// program returns the program's directory and entry point from a request, with the
// fallbacks older engines need (the working directory, the deprecated program field, ".").
func program(info *pulumirpc.ProgramInfo, pwd, legacyProgram string) (dir, entry string) {
	dir, entry = info.GetProgramDirectory(), info.GetEntryPoint()
	if dir == "" {
		dir = pwd
	}
	if entry == "" {
		entry = legacyProgram
	}
	if entry == "" {
		entry = "."
	}
	return dir, entry
}

// nodeArgs are the runtime option `nodeargs`: extra arguments for node itself.
func nodeArgs(opts map[string]any) []string {
	if na, ok := opts["nodeargs"].(string); ok {
		return strings.Fields(na)
	}
	return nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir, entry := program(info, req.GetPwd(), req.GetProgram()) //nolint:staticcheck
	opts := info.GetOptions().AsMap()

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	runScript, err := findRunScript(programDir, "run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := append(nodeArgs(opts), runScript)
	add := func(flagName, v string) {
		if v != "" {
			args = append(args, "--"+flagName, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
	)
	typescript := true
	if ts, ok := opts["typescript"].(bool); ok {
		typescript = ts
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(typescript))
	if tsconfig, ok := opts["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = programDir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitLoggedError {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a Node.js policy pack (an analyzer plugin) as the upstream host
// does: `node @pulumi/pulumi/cmd/run-policy-pack <engine-address> <program>`,
// streaming its output back; its first stdout line is the port it serves on.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetKind() != "analyzer" {
		return fmt.Errorf("kubeship's language host runs policy packs (analyzers) only, not %q plugins", req.GetKind())
	}
	info := req.GetInfo()
	programDir, entry := program(info, req.GetPwd(), req.GetProgram()) //nolint:staticcheck
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	script, err := findRunScript(programDir, "run-policy-pack")
	if err != nil {
		return err
	}
	args := append(append(append(nodeArgs(info.GetOptions().AsMap()), script), req.GetArgs()...), entry)

	cmd := exec.Command(nodeBin, args...)
	cmd.Dir = programDir
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	var mu sync.Mutex
	send := func(r *pulumirpc.RunPluginResponse) error {
		mu.Lock()
		defer mu.Unlock()
		return server.Send(r)
	}
	cmd.Stdout = writerFunc(func(p []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: append([]byte(nil), p...)}})
	})
	cmd.Stderr = writerFunc(func(p []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: append([]byte(nil), p...)}})
	})
	code := 0
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("could not run the policy pack: %w", err)
		}
		code = exitErr.ExitCode()
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

// writerFunc adapts a function to io.Writer.
type writerFunc func(p []byte) error

func (f writerFunc) Write(p []byte) (int, error) {
	if err := f(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

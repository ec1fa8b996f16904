// Command leak-bench measures the leak scanner against `docker save` on a
// generated image of about 500 MB with thousands of files: wall time of
// each (several runs, medians, their ratio) and the scan's peak memory.
//
//	go run ./bench/leak [-runs 5] [-keep]
//
// It builds dttest-leak-bench:500m from the busybox stand-in when missing
// (about 20 s), and removes it at the end unless -keep is given. Each
// scan runs in a child process so that its peak RSS is its own.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/dockertutor/dockertutor/exercises/dockertest"
	"github.com/dockertutor/dockertutor/exercises/leak"
	"github.com/moby/moby/client"
)

const (
	image     = "dttest-leak-bench:500m"
	standIn   = "alpine:3.22"
	secretEnv = "LEAK_BENCH_SECRET"
	// The secret is fixed so a kept image can be scanned again.
	secret = "dt-canary-bench-5e1f9a0c"
)

func main() {
	child := flag.Bool("child", false, "scan once and print figures as JSON (used by the benchmark itself)")
	runs := flag.Int("runs", 5, "timed runs of each command")
	keep := flag.Bool("keep", false, "keep the generated image")
	cpuProfile := flag.String("cpuprofile", "", "with -child: write a CPU profile of the scan to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *child {
		if err := scanOnce(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		return
	}
	if err := bench(*runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "leak-bench:", err)
		os.Exit(1)
	}
}

type childResult struct {
	Seconds    float64 `json:"seconds"`
	Findings   int     `json:"findings"`
	Layers     int     `json:"layers"`
	Problems   int     `json:"problems"`
	HeapSysMiB float64 `json:"heap_sys_mib"` // heap memory obtained from the OS
	SysMiB     float64 `json:"sys_mib"`      // all memory obtained from the OS
	TotalGCMiB float64 `json:"total_alloc_mib"`
	CPUSeconds float64 `json:"-"` // user + system time of the child, from the kernel
}

func scanOnce() error {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	start := time.Now()
	r, err := leak.Scan(context.Background(), leak.FromClient(cli), image, []byte(os.Getenv(secretEnv)), leak.Options{})
	if err != nil {
		return err
	}
	took := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return json.NewEncoder(os.Stdout).Encode(childResult{
		Seconds: took.Seconds(), Findings: len(r.Findings), Layers: r.Layers, Problems: len(r.Problems),
		HeapSysMiB: mib(ms.HeapSys), SysMiB: mib(ms.Sys), TotalGCMiB: mib(ms.TotalAlloc),
	})
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func bench(runs int, keep bool) error {
	ctx := context.Background()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return fmt.Errorf("no Docker daemon: %w", err)
	}
	if err := ensureImage(ctx, cli); err != nil {
		return err
	}
	if !keep {
		defer cli.ImageRemove(context.Background(), image, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	}
	insp, err := cli.ImageInspect(ctx, image)
	if err != nil {
		return err
	}
	fmt.Printf("image %s: %.0f MB, %d layers; %d runs each, alternating, after one warm-up\n",
		image, float64(insp.Size)/1e6, len(insp.RootFS.Layers), runs)

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var saves, scans, ratios, saveCPUs, scanCPUs []float64
	var rss []int64
	var last childResult
	for i := -1; i < runs; i++ {
		// The daemon writes the export to a temporary directory before it
		// streams it; flushing those writes before each timed command
		// keeps one run's writeback out of the next run's time.
		settle()
		save, saveCPU, err := timeSave()
		if err != nil {
			return err
		}
		settle()
		res, maxRSS, err := timeScan(self)
		if err != nil {
			return err
		}
		if i < 0 {
			continue // warm-up: page cache, daemon state
		}
		saves, scans, rss = append(saves, save), append(scans, res.Seconds), append(rss, maxRSS)
		ratios = append(ratios, res.Seconds/save)
		saveCPUs, scanCPUs = append(saveCPUs, saveCPU), append(scanCPUs, res.CPUSeconds)
		last = res
		fmt.Printf("run %d: docker save %.2fs (CPU %.2fs)   scan %.2fs (CPU %.2fs)   scan peak RSS %.1f MiB (Go: sys %.1f MiB, heap %.1f MiB, %0.f MiB allocated in all)\n",
			i+1, save, saveCPU, res.Seconds, res.CPUSeconds, float64(maxRSS)/1024, res.SysMiB, res.HeapSysMiB, res.TotalGCMiB)
	}
	ms, mc := median(saves), median(scans)
	fmt.Printf("\nmedian docker save > /dev/null: %.2fs\n", ms)
	fmt.Printf("median scan:                     %.2fs (%d findings, %d layers, %d problems)\n", mc, last.Findings, last.Layers, last.Problems)
	fmt.Printf("ratio scan / save:               %.3f (goal <= 1.10); median of the per-run ratios %.3f\n", mc/ms, median(ratios))
	fmt.Printf("median CPU time:                 docker save client %.2fs, scan %.2fs\n", median(saveCPUs), median(scanCPUs))
	fmt.Printf("scan peak RSS:                   %.1f MiB max over runs (goal < 64 MiB)\n", float64(slices.Max(rss))/1024)
	if last.Findings == 0 {
		return fmt.Errorf("the scan found nothing, but the image holds the secret")
	}
	return nil
}

func settle() {
	syscall.Sync()
	time.Sleep(2 * time.Second)
}

func timeSave() (float64, float64, error) {
	cmd := exec.Command("docker", "save", image)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, 0, err
	}
	defer devnull.Close()
	cmd.Stdout, cmd.Stderr = devnull, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("docker save: %w", err)
	}
	took := time.Since(start).Seconds()
	return took, (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), nil
}

// timeScan runs one scan in a child process; the wall time is the child's
// own measure of the Scan call, and the peak RSS comes from the kernel.
func timeScan(self string) (childResult, int64, error) {
	cmd := exec.Command(self, "-child")
	cmd.Env = append(os.Environ(), secretEnv+"="+secret)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return childResult{}, 0, fmt.Errorf("scan: %w", err)
	}
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		return childResult{}, 0, fmt.Errorf("scan output %q: %w", out, err)
	}
	usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return res, 0, fmt.Errorf("no rusage on this platform")
	}
	res.CPUSeconds = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return res, usage.Maxrss, nil // KiB on Linux
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ensureImage builds the benchmark image: 5000 files of 100 KiB of random
// bytes in two layers, the secret in a build argument, in one file, and in
// a file deleted by the last layer.
func ensureImage(ctx context.Context, cli *client.Client) error {
	if _, err := cli.ImageInspect(ctx, image); err == nil {
		return nil
	}
	if err := dockertest.EnsureStandIn(ctx, cli, standIn); err != nil {
		return err
	}
	fmt.Println("building", image, "(about 500 MB) ...")
	fill := func(dir string) string {
		return "mkdir -p " + dir + " && i=0; while [ $i -lt 2500 ]; do head -c 102400 /dev/urandom > " + dir + "/f$i; i=$((i+1)); done"
	}
	dockerfile := "FROM " + standIn + "\nARG BUILD_REPO_SECRET\n" +
		"RUN " + fill("/data1") + "\n" +
		"RUN " + fill("/data2") + " && echo \"$BUILD_REPO_SECRET\" > /data2/token && echo \"$BUILD_REPO_SECRET\" > /data2/deleted\n" +
		"RUN rm /data2/deleted\n"
	tar, err := dockertest.TarFiles(map[string][]byte{"Dockerfile": []byte(dockerfile)})
	if err != nil {
		return err
	}
	s := secret
	res, err := cli.ImageBuild(ctx, tar, client.ImageBuildOptions{
		Tags: []string{image}, BuildArgs: map[string]*string{"BUILD_REPO_SECRET": &s},
		Remove: true, ForceRemove: true, NetworkMode: "none",
	})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"errorDetail"`) {
			return fmt.Errorf("build: %s", sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	_, err = cli.ImageInspect(ctx, image)
	return err
}

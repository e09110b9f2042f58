// Command client-go-elector is a real client-go participant for leasehold's tests and benchmarks:
// client-go's tools/leaderelection on a LeaseLock, at the Kubernetes release of the control plane
// the tests run against. It runs a guarded command only while leading and, since client-go's Run
// returns after one term, calls Run again so it competes again until SIGTERM or SIGINT.
//
//	client-go-elector --kubeconfig FILE --lease NAME --identity ID [--namespace default]
//	  [--lease-duration 15s --renew-deadline 10s --retry-period 2s] [--release-on-cancel]
//	  [--labels k=v,k2=v2] [--electors N] [-- CMD ARGS...]
//
// Stdout carries one JSON object per line (report.go): ready, new-leader, started, command-started,
// command-exited, command-stopped, stopped, exiting. Logs (klog) and the command's output go to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

type options struct {
	kubeconfig      string
	namespace       string
	lease           string
	identity        string
	leaseDuration   time.Duration
	renewDeadline   time.Duration
	retryPeriod     time.Duration
	releaseOnCancel bool
	labels          map[string]string
	electors        int
	command         []string
}

func parseOptions() options {
	var o options
	var labels string
	flags := flag.NewFlagSet("client-go-elector", flag.ExitOnError)
	flags.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (required)")
	flags.StringVar(&o.namespace, "namespace", "default", "namespace of the Lease")
	flags.StringVar(&o.lease, "lease", "", "name of the Lease (required)")
	flags.StringVar(&o.identity, "identity", "", "holder identity (required)")
	flags.DurationVar(&o.leaseDuration, "lease-duration", 15*time.Second, "LeaderElectionConfig.LeaseDuration")
	flags.DurationVar(&o.renewDeadline, "renew-deadline", 10*time.Second, "LeaderElectionConfig.RenewDeadline")
	flags.DurationVar(&o.retryPeriod, "retry-period", 2*time.Second, "LeaderElectionConfig.RetryPeriod")
	flags.BoolVar(&o.releaseOnCancel, "release-on-cancel", false, "LeaderElectionConfig.ReleaseOnCancel")
	flags.StringVar(&labels, "labels", "", "labels the holder sets on the Lease (resourcelock.NewWithLabels), k=v,k2=v2")
	flags.IntVar(&o.electors, "electors", 1, "electors in this process, each on its own Lease NAME-i as ID-i, without a command (benchmarks)")
	klog.InitFlags(flags)
	_ = flags.Parse(os.Args[1:])
	o.command = flags.Args()
	o.labels = map[string]string{}
	for _, pair := range strings.Split(labels, ",") {
		if pair == "" {
			continue
		}
		key, value, ok := strings.Cut(pair, "=")
		if !ok {
			fail("--labels wants k=v pairs, got %q", pair)
		}
		o.labels[key] = value
	}
	if len(o.labels) == 0 {
		o.labels = nil // resourcelock.New: labels are left alone
	}
	if o.kubeconfig == "" || o.lease == "" || o.identity == "" {
		fail("--kubeconfig, --lease and --identity are required")
	}
	if o.electors > 1 && len(o.command) > 0 {
		fail("--electors runs no command")
	}
	return o
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "client-go-elector: "+format+"\n", args...)
	os.Exit(2)
}

// restConfig loads the kubeconfig with the request timeout client-go's own
// resourcelock.NewFromKubeconfig sets: max(1s, renewDeadline/2), so one hung request cannot use up
// the renew deadline.
func restConfig(o options) *rest.Config {
	config, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		fail("%v", err)
	}
	config.Timeout = max(time.Second, o.renewDeadline/2)
	return rest.AddUserAgent(config, "leader-election")
}

func main() {
	o := parseOptions()
	config := restConfig(o)
	ctx, cancel := context.WithCancel(context.Background())
	electors := make([]*elector, o.electors)
	for i := range electors {
		lease, identity := o.lease, o.identity
		if o.electors > 1 {
			lease, identity = fmt.Sprintf("%s-%d", o.lease, i), fmt.Sprintf("%s-%d", o.identity, i)
		}
		e, err := newElector(o, config, lease, identity, cancel)
		if err != nil {
			fail("%v", err)
		}
		electors[i] = e
	}

	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		// ReleaseOnCancel releases before OnStoppedLeading runs, so the command must be gone before
		// the context is cancelled (client-go: "ensure all code guarded by this lease has
		// successfully completed prior to cancelling the context").
		for _, e := range electors {
			e.shutDown()
		}
		cancel()
		second := <-signals
		os.Exit(128 + int(second.(syscall.Signal)))
	}()

	report(event{Event: "ready", Identity: o.identity, Lease: o.namespace + "/" + o.lease})
	done := make(chan struct{}, len(electors))
	for _, e := range electors {
		go func() {
			e.compete(ctx)
			done <- struct{}{}
		}()
	}
	for range electors {
		<-done
	}
	status := electors[0].exitStatus()
	report(event{Event: "exiting", Identity: o.identity, Lease: o.namespace + "/" + o.lease, Status: &status})
	klog.Flush()
	os.Exit(status)
}

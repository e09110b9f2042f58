package main

import (
	"context"
	"os"
	"sync"

	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// elector competes for one Lease, term after term, and runs the command while it leads.
type elector struct {
	o        options
	lease    string // namespace/name, for the reports
	identity string
	lock     resourcelock.Interface
	endAll   context.CancelFunc

	mu           sync.Mutex
	command      *guardedCommand
	ledRound     int
	shuttingDown bool
	status       int
}

func newElector(o options, config *rest.Config, lease, identity string, endAll context.CancelFunc) (*elector, error) {
	client, err := coordinationv1.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	// A LeaseLock needs no core client; labels nil is resourcelock.New.
	lock, err := resourcelock.NewWithLabels(resourcelock.LeasesResourceLock, o.namespace, lease, nil, client,
		resourcelock.ResourceLockConfig{Identity: identity}, o.labels)
	if err != nil {
		return nil, err
	}
	return &elector{o: o, lease: o.namespace + "/" + lease, identity: identity, lock: lock, endAll: endAll}, nil
}

// compete runs client-go's Run, which returns after one term (or when ctx ends), again and again:
// a fresh LeaderElector each round, as a restarted process would start, on the same lock.
func (e *elector) compete(ctx context.Context) {
	for round := 1; ctx.Err() == nil; round++ {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            e.lock,
			LeaseDuration:   e.o.leaseDuration,
			RenewDeadline:   e.o.renewDeadline,
			RetryPeriod:     e.o.retryPeriod,
			ReleaseOnCancel: e.o.releaseOnCancel,
			Name:            e.lease,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(leading context.Context) { e.startedLeading(leading, round) },
				OnStoppedLeading: func() { e.stoppedLeading(round) },
				OnNewLeader: func(leader string) {
					report(event{Event: "new-leader", Identity: e.identity, Lease: e.lease, Round: round, Leader: leader})
				},
			},
		})
		if err != nil {
			fail("%v", err)
		}
		le.Run(ctx)
	}
}

// startedLeading runs in a goroutine of its own (client-go's `go OnStartedLeading(ctx)`), so it may
// run after Run has already ended the term: it starts the command only while `leading` is live.
func (e *elector) startedLeading(leading context.Context, round int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	report(event{Event: "started", Identity: e.identity, Lease: e.lease, Round: round})
	if leading.Err() != nil {
		return // the term ended before this goroutine ran
	}
	e.ledRound = round
	if len(e.o.command) == 0 || e.shuttingDown {
		return
	}
	env := append(os.Environ(), "ELECTION_IDENTITY="+e.identity, "ELECTION_LEASE="+e.lease)
	g, err := startCommand(e.o.command, env)
	if err != nil {
		report(event{Event: "command-failed", Identity: e.identity, Lease: e.lease, Round: round, Message: err.Error()})
		e.status, e.shuttingDown = 127, true
		e.endAll()
		return
	}
	e.command = g
	report(event{Event: "command-started", Identity: e.identity, Lease: e.lease, Round: round, Pid: g.pid()})
	go e.awaitOwnExit(g, round)
}

// awaitOwnExit ends the elector when the command exits by itself (not stopped by us): its status
// becomes the elector's, and with ReleaseOnCancel the lease is released.
func (e *elector) awaitOwnExit(g *guardedCommand, round int) {
	<-g.exited
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.command != g {
		return
	}
	e.command = nil
	e.status, e.shuttingDown = g.status, true
	status := g.status
	report(event{Event: "command-exited", Identity: e.identity, Lease: e.lease, Round: round, Pid: g.pid(), Status: &status})
	g.stop() // what it left in its group
	e.endAll()
}

// stoppedLeading runs when Run returns, whether or not this round led.
func (e *elector) stoppedLeading(round int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopCommand(round)
	led := e.ledRound == round
	report(event{Event: "stopped", Identity: e.identity, Lease: e.lease, Round: round, Led: &led})
}

// shutDown stops the command before the context is cancelled (and the lease perhaps released).
func (e *elector) shutDown() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.shuttingDown = true
	e.stopCommand(0)
}

func (e *elector) stopCommand(round int) {
	g := e.command
	if g == nil {
		return
	}
	e.command = nil
	g.stop()
	report(event{Event: "command-stopped", Identity: e.identity, Lease: e.lease, Round: round, Pid: g.pid()})
}

func (e *elector) exitStatus() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}

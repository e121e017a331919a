package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrPoolClosed is returned by a Pool's methods after Close.
var ErrPoolClosed = errors.New("plugins: pool closed")

// Pool runs trials on a fixed number of plugin processes, one per worker
// slot, started on first use and reused across trials so that a plugin can
// keep its loaded data between them. A process that dies, hangs or breaks
// the protocol is killed and replaced by a fresh one for the next trial;
// only the trial it was running fails.
//
// A Pool is safe for concurrent use: Train blocks while all slots are busy.
type Pool struct {
	cmd   Command
	opts  PoolOptions
	slots chan *Client // nil: the slot has no process yet

	mu     sync.Mutex
	closed bool
	live   map[*Client]struct{}
}

// NewPool returns a pool of size plugin processes started from cmd. No
// process starts until the first call; call Describe first to learn about a
// bad plugin before any trial runs. NewPool panics if size < 1.
func NewPool(cmd Command, size int, opts PoolOptions) *Pool {
	if size < 1 {
		panic(fmt.Sprintf("plugins: pool size %d < 1", size))
	}
	p := &Pool{cmd: cmd, opts: opts.withDefaults(), slots: make(chan *Client, size), live: make(map[*Client]struct{})}
	for range size {
		p.slots <- nil
	}
	return p
}

// acquire takes a slot and makes sure it holds a usable process.
func (p *Pool) acquire(ctx context.Context) (*Client, error) {
	var c *Client
	select {
	case c = <-p.slots:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		p.slots <- c
		return nil, ErrPoolClosed
	}
	if c != nil && c.Err() == nil {
		return c, nil
	}
	if c != nil {
		p.retire(c)
	}
	c, err := launch(ctx, p.cmd, p.opts)
	if err != nil {
		p.slots <- nil
		return nil, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = c.Close()
		p.slots <- nil
		return nil, ErrPoolClosed
	}
	p.live[c] = struct{}{}
	p.mu.Unlock()
	return c, nil
}

// release gives the slot back, replacing a broken process by none.
func (p *Pool) release(c *Client) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed || c.Err() != nil {
		p.retire(c)
		c = nil
	}
	p.slots <- c
}

func (p *Pool) retire(c *Client) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.live, c)
	p.mu.Unlock()
}

// Describe asks a plugin process to describe its model, starting one if
// none runs yet: errors in starting the plugin surface here.
func (p *Pool) Describe(ctx context.Context) (Description, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return Description{}, err
	}
	defer p.release(c)
	return c.Describe(ctx)
}

// Train runs one trial on a free process (see Client.Train): events go to
// emit, the plugin's output to stderr. A per-trial timeout is a deadline on
// ctx.
func (p *Pool) Train(ctx context.Context, req TrainRequest, stderr io.Writer, emit func(Event) error) (Outcome, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("trial %s: %w", req.TrialID, err)
	}
	defer p.release(c)
	return c.Train(ctx, req, stderr, emit)
}

// Close stops every plugin process, including those running a trial (which
// then fails), and waits for them to exit. Later calls fail with
// ErrPoolClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	live := make([]*Client, 0, len(p.live))
	for c := range p.live {
		live = append(live, c)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range live {
		wg.Go(func() { _ = c.Close() })
	}
	wg.Wait()
	return nil
}

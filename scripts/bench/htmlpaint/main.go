// Command htmlpaint measures how long an HTML report takes to show its
// table in headless Chromium: from the start of the navigation (the page's
// performance.now() origin) to the first frame painted after rows appeared
// in the ranking table. It drives Chromium through the DevTools protocol
// over --remote-debugging-pipe, so it needs no library, and it does not rely
// on the page's cooperation: a script injected before the page's own
// watches #ranking's body and has Chromium report when its first cell is
// painted (see watch).
//
//	go run ./scripts/bench/htmlpaint [-runs 3] [-chromium chromium] report.html
//
// It prints one line per run and the median: ms to the table painted, to
// the first contentful paint, to the load event, and to when the page's
// main thread was first free after the table (the charts drawn).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// watch runs in the page before its own scripts. When rows appear in the
// ranking table (a MutationObserver callback runs after the script that
// added them, before the browser paints), it marks the first cell for the
// Element Timing API, whose entry carries the time that cell was painted.
// Timing the next animation frame instead would also count whatever task
// the page queued before the observer's.
const watch = `(() => {
  window.__tablePainted = null;
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (e.identifier === "sweep-table") window.__tablePainted = e.renderTime || e.loadTime;
  }).observe({ type: "element", buffered: true });
  const cell = () => document.querySelector("#ranking tbody td");
  const mark = () => { const c = cell(); if (c && !c.hasAttribute("elementtiming")) { c.setAttribute("elementtiming", "sweep-table"); return true; } return false; };
  new MutationObserver((_, self) => { if (mark()) self.disconnect(); })
    .observe(document, { childList: true, subtree: true });
})();`

// result is what the page reports once the table is painted.
// idle is when the page's main thread ran this expression: the poll
// waits while the page's scripts run (the charts, after the table), so it
// says when the page answers clicks, within the poll's 20 ms.
const result = `window.__tablePainted == null ? null : JSON.stringify({
  table: window.__tablePainted,
  idle: performance.now(),
  fcp: (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime || null,
  load: performance.getEntriesByType("navigation")[0].loadEventEnd || null})`

type timing struct {
	Table, Idle, FCP, Load float64
}

func main() {
	runs := flag.Int("runs", 3, "page loads, each in a fresh browser")
	chromium := flag.String("chromium", "chromium", "the browser")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up on a load after this long")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: htmlpaint [-runs N] report.html")
	}
	page, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	var table []float64
	for i := range *runs {
		t, err := measure(*chromium, "file://"+page, *timeout)
		if err != nil {
			log.Fatalf("run %d: %v", i+1, err)
		}
		fmt.Printf("run %d: table painted %.0f ms, first contentful paint %.0f ms, load %.0f ms, idle at %.0f ms\n",
			i+1, t.Table, t.FCP, t.Load, t.Idle)
		table = append(table, t.Table)
	}
	slices.Sort(table)
	fmt.Printf("median of %d: table painted %.0f ms\n", len(table), table[len(table)/2])
}

// measure loads url in a fresh headless Chromium and returns its timing.
func measure(chromium, url string, timeout time.Duration) (timing, error) {
	b, err := startBrowser(chromium)
	if err != nil {
		return timing{}, err
	}
	defer b.close()
	target, err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return timing{}, err
	}
	attached, err := b.call("", "Target.attachToTarget", map[string]any{"targetId": target["targetId"], "flatten": true})
	if err != nil {
		return timing{}, err
	}
	session, _ := attached["sessionId"].(string)
	for _, step := range []struct {
		method string
		params map[string]any
	}{
		{"Page.enable", nil},
		{"Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": watch}},
		{"Page.navigate", map[string]any{"url": url}},
	} {
		if _, err := b.call(session, step.method, step.params); err != nil {
			return timing{}, err
		}
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		res, err := b.call(session, "Runtime.evaluate", map[string]any{"expression": result, "returnByValue": true})
		if err != nil {
			return timing{}, err
		}
		if v, _ := res["result"].(map[string]any)["value"].(string); v != "" {
			var t timing
			err := json.Unmarshal([]byte(v), &t)
			return t, err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return timing{}, fmt.Errorf("no table painted within %v", timeout)
}

// browser is a headless Chromium driven over its DevTools pipe: messages
// are JSON objects ended by a NUL byte, commands on fd 3, replies and
// events on fd 4.
type browser struct {
	cmd  *exec.Cmd
	in   *os.File
	out  *bufio.Reader
	next int
	dir  string
}

func startBrowser(chromium string) (*browser, error) {
	dir, err := os.MkdirTemp("", "htmlpaint-")
	if err != nil {
		return nil, err
	}
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--disable-component-update", "--disable-sync", "--window-size=1200,900",
		"--remote-debugging-pipe", "--user-data-dir="+dir, "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, outW} // fd 3 and 4 in the browser
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	cmdR.Close()
	outW.Close()
	return &browser{cmd: cmd, in: cmdW, out: bufio.NewReaderSize(outR, 1<<20), dir: dir}, nil
}

// call sends a command (to a page's session, or to the browser for "")
// and returns its result, skipping the events that arrive before it.
func (b *browser) call(session, method string, params map[string]any) (map[string]any, error) {
	b.next++
	msg := map[string]any{"id": b.next, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := b.in.Write(append(data, 0)); err != nil {
		return nil, err
	}
	for {
		line, err := b.out.ReadBytes(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		var reply struct {
			ID     int            `json:"id"`
			Result map[string]any `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line[:len(line)-1], &reply); err != nil {
			return nil, err
		}
		if reply.ID != b.next {
			continue // an event, or a reply to nothing we wait for
		}
		if reply.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, reply.Error.Message)
		}
		return reply.Result, nil
	}
}

func (b *browser) close() {
	b.call("", "Browser.close", nil)
	b.in.Close()
	b.cmd.Wait()
	os.RemoveAll(b.dir)
}

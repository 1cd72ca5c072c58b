package main

// A small client of the Chrome DevTools protocol for the browser tests: it starts headless
// Chromium, speaks CDP over one WebSocket (a minimal RFC 6455 client: the handshake, masked text
// frames out, unmasked frames in, fragments, ping and close) in "flatten" mode, where each page is a
// session on the browser's connection. It needs nothing but the standard library.

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// wsConn is a client WebSocket connection.
type wsConn struct {
	c  net.Conn
	r  *bufio.Reader
	mu sync.Mutex // writes
}

func wsDial(ctx context.Context, rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		u.RequestURI(), u.Host, key)
	r := bufio.NewReaderSize(c, 1<<16)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket handshake with %s: %w", rawURL, err)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-Websocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		c.Close()
		return nil, fmt.Errorf("websocket handshake with %s: %s", rawURL, resp.Status)
	}
	return &wsConn{c: c, r: r}, nil
}

// writeFrame sends one masked frame.
func (w *wsConn) writeFrame(op byte, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	hdr := []byte{0x80 | op}
	switch n := len(p); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	b := make([]byte, len(p))
	for i := range p {
		b[i] = p[i] ^ mask[i%4]
	}
	_, err := w.c.Write(append(hdr, b...))
	return err
}

// read returns the next message, answering pings on the way.
func (w *wsConn) read() ([]byte, error) {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.r, h[:]); err != nil {
			return nil, err
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(w.r, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(w.r, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		var mask []byte
		if h[1]&0x80 != 0 {
			mask = make([]byte, 4)
			if _, err := io.ReadFull(w.r, mask); err != nil {
				return nil, err
			}
		}
		if n > 256<<20 {
			return nil, fmt.Errorf("websocket frame of %d bytes", n)
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(w.r, p); err != nil {
			return nil, err
		}
		if mask != nil {
			for i := range p {
				p[i] ^= mask[i%4]
			}
		}
		switch op {
		case 0x8:
			return nil, io.EOF
		case 0x9:
			if err := w.writeFrame(0xA, p); err != nil {
				return nil, err
			}
			continue
		case 0xA:
			continue
		}
		msg = append(msg, p...)
		if fin {
			return msg, nil
		}
	}
}

// cdpMsg is a CDP message: a response (ID set) or an event (Method set).
type cdpMsg struct {
	ID        int             `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// browser is a running headless Chromium and the CDP connection to it.
type browser struct {
	cmd  *exec.Cmd
	ws   *wsConn
	dir  string
	mu   sync.Mutex
	next int
	wait map[int]chan cdpMsg
	evs  []cdpMsg // events, in order
	evCh chan struct{}
	done chan struct{}
	err  error
}

// findChromium returns the path of a Chromium (or Chrome) binary: $FLOWLENS_CHROMIUM, else the
// usual names on $PATH.
func findChromium() (string, error) {
	if p := os.Getenv("FLOWLENS_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on PATH (and FLOWLENS_CHROMIUM unset); 'make test' installs Debian's chromium when run as root")
}

var devtoolsRE = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// startBrowser starts headless Chromium with a fresh profile in dir and connects to it.
func startBrowser(ctx context.Context, bin, dir string) (*browser, error) {
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--mute-audio", "--hide-scrollbars",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--user-data-dir="+dir, "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	found := make(chan string, 1)
	var tail strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := devtoolsRE.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			} else if !sent && tail.Len() < 4000 {
				tail.WriteString(sc.Text() + "\n")
			}
		}
		if !sent {
			close(found)
		}
	}()
	var wsURL string
	select {
	case u, ok := <-found:
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("%s exited without a DevTools endpoint:\n%s", bin, tail.String())
		}
		wsURL = u
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s: no DevTools endpoint after 30s", bin)
	}
	ws, err := wsDial(ctx, wsURL)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, err
	}
	b := &browser{cmd: cmd, ws: ws, dir: dir, wait: map[int]chan cdpMsg{}, evCh: make(chan struct{}, 1), done: make(chan struct{})}
	go b.readLoop()
	return b, nil
}

func (b *browser) readLoop() {
	defer close(b.done)
	for {
		p, err := b.ws.read()
		if err != nil {
			b.mu.Lock()
			b.err = err
			for _, ch := range b.wait {
				close(ch)
			}
			b.wait = map[int]chan cdpMsg{}
			b.mu.Unlock()
			return
		}
		var m cdpMsg
		if json.Unmarshal(p, &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.wait[m.ID]; ok {
				ch <- m
				delete(b.wait, m.ID)
			}
		} else {
			b.evs = append(b.evs, m)
			select {
			case b.evCh <- struct{}{}:
			default:
			}
		}
		b.mu.Unlock()
	}
}

// call sends a command (to the page session, or to the browser when session is "") and returns
// its result.
func (b *browser) call(session, method string, params any, result any) error {
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		return fmt.Errorf("CDP %s: connection closed: %v", method, b.err)
	}
	b.next++
	id := b.next
	ch := make(chan cdpMsg, 1)
	b.wait[id] = ch
	b.mu.Unlock()
	if params == nil {
		params = struct{}{}
	}
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params, "sessionId": session})
	if err != nil {
		return err
	}
	if session == "" {
		msg, _ = json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	}
	if err := b.ws.writeFrame(0x1, msg); err != nil {
		return fmt.Errorf("CDP %s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("CDP %s: connection closed", method)
		}
		if m.Error != nil {
			return fmt.Errorf("CDP %s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("CDP %s: no answer in 60s", method)
	}
}

// events returns the events of session received so far from index from on.
func (b *browser) events(session string, from int) ([]cdpMsg, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []cdpMsg
	for _, e := range b.evs[from:] {
		if e.SessionID == session {
			out = append(out, e)
		}
	}
	return out, len(b.evs)
}

// waitEvent waits for an event method of session received at or after index from.
func (b *browser) waitEvent(session, method string, from int, d time.Duration) error {
	deadline := time.After(d)
	for {
		evs, _ := b.events(session, from)
		for _, e := range evs {
			if e.Method == method {
				return nil
			}
		}
		select {
		case <-b.evCh:
		case <-b.done:
			return fmt.Errorf("waiting for %s: connection closed", method)
		case <-deadline:
			return fmt.Errorf("no %s in %s", method, d)
		}
	}
}

func (b *browser) close() {
	b.call("", "Browser.close", nil, nil)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
	}
	b.ws.c.Close()
	wait := make(chan struct{})
	go func() { b.cmd.Wait(); close(wait) }()
	select {
	case <-wait:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-wait
	}
}

// tab is a page of the browser.
type tab struct {
	b       *browser
	session string
	mark    int // index of the events when the page was last navigated
}

func (b *browser) newTab() (*tab, error) {
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &t); err != nil {
		return nil, err
	}
	var s struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &s); err != nil {
		return nil, err
	}
	tb := &tab{b: b, session: s.SessionID}
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := b.call(tb.session, m, nil, nil); err != nil {
			return nil, err
		}
	}
	return tb, nil
}

func (t *tab) call(method string, params, result any) error {
	return t.b.call(t.session, method, params, result)
}

// view sets the viewport and the emulated colour scheme.
func (t *tab) view(width, height int, mobile bool, scheme string) error {
	if err := t.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}, nil); err != nil {
		return err
	}
	return t.call("Emulation.setEmulatedMedia", map[string]any{"features": []map[string]string{{"name": "prefers-color-scheme", "value": scheme}}}, nil)
}

// open loads url and waits for its load event.
func (t *tab) open(u string) error {
	_, t.mark = t.b.events(t.session, 0)
	if err := t.call("Page.navigate", map[string]any{"url": u}, nil); err != nil {
		return err
	}
	return t.b.waitEvent(t.session, "Page.loadEventFired", t.mark, 30*time.Second)
}

// problems are the console errors, uncaught exceptions, log errors, requests other than the page
// itself and failed requests since the page was opened.
func (t *tab) problems(page string) []string {
	evs, _ := t.b.events(t.session, t.mark)
	var out []string
	for _, e := range evs {
		switch e.Method {
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string            `json:"type"`
				Args []json.RawMessage `json:"args"`
			}
			json.Unmarshal(e.Params, &p)
			if p.Type == "error" || p.Type == "assert" {
				out = append(out, fmt.Sprintf("console.%s: %s", p.Type, clipText(e.Params)))
			}
		case "Runtime.exceptionThrown":
			var p struct {
				Details struct {
					Text      string `json:"text"`
					URL       string `json:"url"`
					Line      int    `json:"lineNumber"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			json.Unmarshal(e.Params, &p)
			d := p.Details
			out = append(out, fmt.Sprintf("exception: %s %s (%s:%d)", d.Text, d.Exception.Description, d.URL, d.Line+1))
		case "Log.entryAdded":
			var p struct {
				Entry struct{ Level, Text, URL string } `json:"entry"`
			}
			json.Unmarshal(e.Params, &p)
			if p.Entry.Level == "error" {
				out = append(out, "log error: "+p.Entry.Text+" "+p.Entry.URL)
			}
		case "Network.requestWillBeSent":
			var p struct {
				Request struct{ URL string } `json:"request"`
			}
			json.Unmarshal(e.Params, &p)
			if p.Request.URL != page {
				out = append(out, "request: "+p.Request.URL)
			}
		case "Network.loadingFailed":
			out = append(out, "failed request: "+clipText(e.Params))
		}
	}
	return out
}

func clipText(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// eval evaluates a JavaScript expression whose value is JSON-serialisable into result.
func (t *tab) eval(expr string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := t.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluate: %s %s", r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	return json.Unmarshal(r.Result.Value, result)
}

// screenshot captures the whole page as PNG into path.
func (t *tab) screenshot(path string) error {
	var r struct {
		Data string `json:"data"`
	}
	if err := t.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &r); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

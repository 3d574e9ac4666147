package fpbx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// ApplyResult is the outcome of applying configuration.
type ApplyResult struct {
	// Output is what the command or the API reported.
	Output string
	// Took is how long it took.
	Took time.Duration
}

// Progress is one step of applying configuration.
type Progress struct {
	// Stage names the step ("running", "queued", "processing", "done").
	Stage string
	// Message is what the PBX said, if anything.
	Message string
}

// Applier applies configuration: FreePBX's "Apply Config".
type Applier interface {
	Apply(ctx context.Context) (*ApplyResult, error)
}

// CommandApplier runs a local command (fwconsole reload, amportal a r) and
// succeeds when it exits 0. It suits programs running on the PBX host.
type CommandApplier struct {
	Argv     []string
	Progress func(Progress)
}

// Apply runs the command.
func (a *CommandApplier) Apply(ctx context.Context) (*ApplyResult, error) {
	if len(a.Argv) == 0 {
		return nil, pbx.Errorf(pbx.InvalidArgument, "no apply command")
	}
	report(a.Progress, Progress{Stage: "running", Message: strings.Join(a.Argv, " ")})
	start := time.Now()
	cmd := exec.CommandContext(ctx, a.Argv[0], a.Argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res := &ApplyResult{Output: out.String(), Took: time.Since(start)}
	if err != nil {
		return res, fmt.Errorf("%s: %w: %s", strings.Join(a.Argv, " "), err, lastLines(res.Output, 5))
	}
	report(a.Progress, Progress{Stage: "done", Message: lastLines(res.Output, 1)})
	return res, nil
}

func report(f func(Progress), p Progress) {
	if f != nil {
		f(p)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}

// GraphQLApplier applies configuration through FreePBX's API module
// (FreePBX 15 and later): an OAuth2 client-credentials token, the doreload
// mutation, then fetchApiStatus until the reload executed or failed.
type GraphQLApplier struct {
	// BaseURL is the FreePBX web root ("https://pbx.example.com"); the
	// token endpoint is /admin/api/api/token, GraphQL /admin/api/api/gql.
	BaseURL string
	// ClientID and ClientSecret are a "Machine-to-Machine" application's.
	ClientID, ClientSecret string
	// HTTPClient is used for the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// PollInterval is the pause between status polls; 0 means 1s.
	PollInterval time.Duration
	Progress     func(Progress)
}

// Apply runs doreload and waits for its transaction.
func (g *GraphQLApplier) Apply(ctx context.Context) (*ApplyResult, error) {
	start := time.Now()
	token, err := g.token(ctx)
	if err != nil {
		return nil, err
	}
	var started struct {
		Doreload struct {
			Status        bool   `json:"status"`
			Message       string `json:"message"`
			TransactionID string `json:"transaction_id"`
		} `json:"doreload"`
	}
	if err := g.query(ctx, token, `mutation { doreload(input: {}) { status message transaction_id } }`, &started); err != nil {
		return nil, err
	}
	txn := started.Doreload.TransactionID
	if !started.Doreload.Status || txn == "" {
		return nil, fmt.Errorf("freepbx: doreload refused: %s", started.Doreload.Message)
	}
	report(g.Progress, Progress{Stage: "queued", Message: started.Doreload.Message})
	interval := g.PollInterval
	if interval <= 0 {
		interval = time.Second
	}
	for {
		var st struct {
			FetchAPIStatus struct {
				Status  bool   `json:"status"`
				Message string `json:"message"`
			} `json:"fetchApiStatus"`
		}
		txnJSON, _ := json.Marshal(txn)
		if err := g.query(ctx, token, `query { fetchApiStatus(txnId: `+string(txnJSON)+`) { status message } }`, &st); err != nil {
			return nil, err
		}
		msg := st.FetchAPIStatus.Message
		switch strings.ToLower(msg) {
		case "executed":
			report(g.Progress, Progress{Stage: "done", Message: msg})
			return &ApplyResult{Output: msg, Took: time.Since(start)}, nil
		case "failed":
			return &ApplyResult{Output: msg, Took: time.Since(start)}, fmt.Errorf("freepbx: reload transaction %s failed", txn)
		}
		report(g.Progress, Progress{Stage: "processing", Message: msg})
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func (g *GraphQLApplier) client() *http.Client {
	if g.HTTPClient != nil {
		return g.HTTPClient
	}
	return http.DefaultClient
}

// token gets an access token with the client-credentials grant.
func (g *GraphQLApplier) token(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {g.ClientID}, "client_secret": {g.ClientSecret}, "scope": {"gql"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(g.BaseURL, "/")+"/admin/api/api/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := g.do(req, &tok); err != nil {
		return "", fmt.Errorf("freepbx: getting an API token: %w", err)
	}
	if tok.AccessToken == "" {
		return "", errors.New("freepbx: the token endpoint returned no access token")
	}
	return tok.AccessToken, nil
}

// query runs a GraphQL request and decodes its data.
func (g *GraphQLApplier) query(ctx context.Context, token, q string, data any) error {
	body, _ := json.Marshal(map[string]string{"query": q})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(g.BaseURL, "/")+"/admin/api/api/gql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := g.do(req, &resp); err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		return fmt.Errorf("freepbx GraphQL: %s", resp.Errors[0].Message)
	}
	return json.Unmarshal(resp.Data, data)
}

func (g *GraphQLApplier) do(req *http.Request, out any) error {
	resp, err := g.client().Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return err // the caller's deadline or cancellation, which err wraps
		}
		return pbx.Errorf(pbx.Unavailable, "%w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return pbx.Errorf(pbx.PermissionDenied, "%s %s: %s", req.Method, req.URL.Path, resp.Status)
	case resp.StatusCode >= 300:
		return fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	return json.Unmarshal(data, out)
}

package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/dockertutor/dockertutor/classroom/wire"
)

// Membership is the learner's place in a class, saved (0600) in the class
// folder when they join.
type Membership struct {
	// Server is the class server's base URL ("http://10.0.0.5:8080").
	Server string `json:"server"`
	// Token posts this learner's events, and nothing else.
	Token   string `json:"token"`
	Learner string `json:"learner"`
	// Name is the display name the learner chose, cleaned.
	Name     string    `json:"name"`
	Course   string    `json:"course"`
	Title    string    `json:"title"`
	JoinedAt time.Time `json:"joined_at"`
}

// Membership returns the learner's class, and false when they joined none.
func (b *Box) Membership() (Membership, bool, error) {
	var m Membership
	ok, err := readJSON(b.path(membershipFile), &m)
	if err == nil && ok && (m.Server == "" || m.Token == "") {
		err = fmt.Errorf("%s names no server or token: join the class again", b.path(membershipFile))
	}
	return m, ok && err == nil, err
}

// JoinLink is a join URL split in two: the server's base URL and the
// class code.
type JoinLink struct {
	Server, Code string
}

// ParseJoinURL reads the URL `class serve` prints,
// http://HOST:PORT/join/CODE, with an error that says what is wrong.
func ParseJoinURL(raw string) (JoinLink, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return JoinLink{}, fmt.Errorf("%q is not a class's join address: it starts with http:// or https:// and ends with /join/ and the class code, as the instructor's screen shows it", raw)
	}
	base, code, ok := strings.Cut(u.Path, "/join/")
	if !ok || code == "" || strings.Contains(code, "/") || u.RawQuery != "" || u.Fragment != "" {
		return JoinLink{}, fmt.Errorf("%q has no class code: a join address ends with /join/ and the code, as the instructor's screen shows it", raw)
	}
	return JoinLink{Server: u.Scheme + "://" + u.Host + strings.TrimSuffix(base, "/"), Code: code}, nil
}

// Problem is a class server's refusal: its HTTP status and the sentence
// it said (wire.Problem), to show the learner as it is.
type Problem struct {
	Status   int
	Sentence string
}

func (p *Problem) Error() string { return p.Sentence }

// problemOf reads a refusal's body, or words one from its status.
func problemOf(resp *http.Response) *Problem {
	var p wire.Problem
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if json.Unmarshal(data, &p) != nil || p.Error == "" {
		p.Error = fmt.Sprintf("the class server answered %s", resp.Status)
	}
	return &Problem{Status: resp.StatusCode, Sentence: wire.CleanMessage(p.Error)}
}

// Joiner is who joins: the display name they chose, their learner id
// and course from their progress, and their canary, which the name must
// not carry (it would leave the machine).
type Joiner struct {
	Name, Learner, Course, Secret string
}

// The names Join refuses before asking the server.
var (
	ErrNoName     = errors.New("the name is empty once its control characters and spaces are dropped")
	ErrSecretName = errors.New("the name carries your canary secret, which never leaves your machine: choose another name")
)

// Join asks the class server at link to let the learner in under name,
// saves the membership and keeps the outbox's events the server has not
// had yet when they follow what it holds (a learner joining again);
// otherwise the outbox starts afresh after what the server holds. A
// refusal is a *Problem; a server that does not answer, an error saying so.
func (b *Box) Join(ctx context.Context, c *http.Client, link JoinLink, who Joiner) (Membership, wire.ClassState, error) {
	name := wire.CleanName(who.Name)
	if name == "" {
		return Membership{}, wire.ClassState{}, ErrNoName
	}
	if who.Secret != "" && strings.Contains(strings.ToLower(name), strings.ToLower(who.Secret)) {
		return Membership{}, wire.ClassState{}, ErrSecretName
	}
	learner, course := who.Learner, who.Course
	body, _ := json.Marshal(wire.JoinRequest{Code: link.Code, Name: name, Learner: learner, Course: course})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, link.Server+"/api/v1/join", bytes.NewReader(body))
	if err != nil {
		return Membership{}, wire.ClassState{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	// Joining the same class again as the same learner, the tutor shows
	// the token it has: the server lets a learner who is online in by it
	// alone, so that someone else cannot join under their id.
	old, ok, _ := b.Membership()
	if !ok {
		ok, _ = readJSON(b.path(leftFile), &old)
	}
	if ok && old.Server == link.Server && old.Learner == learner && old.Token != "" {
		req.Header.Set("Authorization", "Bearer "+old.Token)
	}
	resp, err := c.Do(req)
	if err != nil {
		// The url.Error repeats the method and address said already.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return Membership{}, wire.ClassState{}, fmt.Errorf("the class server at %s does not answer (%w): check the address on the instructor's screen, and that this machine is on the room's network", link.Server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Membership{}, wire.ClassState{}, problemOf(resp)
	}
	var ans wire.JoinAnswer
	err = json.NewDecoder(io.LimitReader(resp.Body, wire.MaxBodyBytes)).Decode(&ans)
	switch {
	case err != nil:
	case ans.Token == "":
		err = errors.New("no token")
	case ans.Acked < 0:
		err = fmt.Errorf("acked %d", ans.Acked)
	}
	if err != nil {
		return Membership{}, wire.ClassState{}, fmt.Errorf("the class server at %s did not answer as a class server does (%v)", link.Server, err)
	}
	ans.Class = cleanState(ans.Class)
	m := Membership{Server: link.Server, Token: ans.Token, Learner: learner, Name: name, Course: course,
		Title: ans.Class.Title, JoinedAt: time.Now().UTC()}
	if err := b.startAfter(ans.Acked, ans.Class); err != nil {
		return m, ans.Class, err
	}
	if err := writeJSON(b.path(membershipFile), m); err != nil {
		return m, ans.Class, err
	}
	return m, ans.Class, nil
}

// startAfter makes the outbox continue from what the server holds: the
// events after acked stay if they follow it without a gap, else all go
// (they were another class's, or the server's record of them is lost).
func (b *Box) startAfter(acked int64, class wire.ClassState) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.lockAppends(); err != nil {
		return err
	}
	defer b.append.Unlock()
	es, err := b.readEvents(acked, 1)
	if err != nil {
		return err
	}
	if len(es) > 0 && es[0].Seq != acked+1 {
		if err := os.Remove(b.path(outboxFile)); err != nil {
			return err
		}
	}
	d, err := b.readDelivery()
	if err != nil {
		return err
	}
	d.Acked, d.Class, d.Trouble, d.Detail = acked, class, "", ""
	d.LastContact = time.Now().UTC()
	return b.writeDelivery(d)
}

// Leave forgets the class: outbox and delivery state go, and the
// membership is set aside (left.json) for its token only. It returns how
// many events were never delivered.
func (b *Box) Leave() (undelivered int, err error) {
	undelivered, _ = b.Waiting()
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.lockAppends(); err != nil {
		return undelivered, err
	}
	defer b.append.Unlock()
	// The membership is kept aside, for its token: a learner who joins
	// the same class again at once is let in by it (the server turns away
	// a join without it while the learner was online a moment ago).
	if err := os.Rename(b.path(membershipFile), b.path(leftFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return undelivered, err
	}
	for _, name := range []string{outboxFile, deliveryFile, readinessFile} {
		if err := os.Remove(b.path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return undelivered, err
		}
	}
	return undelivered, nil
}

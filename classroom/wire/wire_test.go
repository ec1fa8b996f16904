package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var at = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func batchJSON(t *testing.T, events ...Event) []byte {
	t.Helper()
	data, err := json.Marshal(EventBatch{Format: EventsFormat, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeBatchTakesEveryKind(t *testing.T) {
	events := []Event{
		{Seq: 1, Kind: Ready, At: at, Readiness: &Readiness{Docker: true, Engine: "Docker Engine - Community", Version: "20.10.24", API: "1.41", BuildKit: true, Classic: true, DockerBuild: "legacy", Images: []ImageReadiness{{Ref: "node:24-alpine", Present: true}, {Ref: "alpine:3.22", Present: true, State: "other-digest"}}}},
		{Seq: 2, Kind: StepOpened, At: at, Step: "leak-build"},
		{Seq: 3, Kind: HintShown, At: at, Step: "leak-build", Hint: 1},
		{Seq: 4, Kind: Verdict, At: at, Step: "leak-build", Checks: []CheckOutcome{{ID: "fresh", Outcome: Passed}, {ID: "leak", Outcome: Failed}}},
		{Seq: 5, Kind: AnswerGiven, At: at, Step: "find-the-leak", Attempts: 2},
		{Seq: 6, Kind: SolutionShown, At: at, Step: "find-the-leak"},
		{Seq: 7, Kind: StepSkipped, At: at, Step: "scan-on-schedule"},
	}
	b, err := DecodeBatch(bytes.NewReader(batchJSON(t, events...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != len(events) || b.Events[3].Checks[1].ID != "leak" {
		t.Fatalf("decoded %+v", b)
	}
}

func TestDecodeBatchRefuses(t *testing.T) {
	ok := Event{Seq: 1, Kind: StepOpened, At: at, Step: "leak-build"}
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"not json":         {`{`, "not an event batch"},
		"unknown field":    {`{"format":"dockertutor.events/1","events":[],"canary":"x"}`, "unknown field"},
		"event field":      {`{"format":"dockertutor.events/1","events":[{"seq":1,"kind":"answer","at":"2026-12-02T09:00:00Z","step":"a","attempts":1,"value":"s3cret"}]}`, "unknown field"},
		"other format":     {`{"format":"dockertutor.events/2","events":[]}`, "this server reads"},
		"trailing":         {string(batchJSON(t, ok)) + "{}", "data after"},
		"unknown kind":     {string(batchJSON(t, Event{Seq: 1, Kind: "shell", At: at, Step: "a"})), "unknown kind"},
		"no seq":           {string(batchJSON(t, Event{Kind: StepOpened, At: at, Step: "a"})), "seqs start at 1"},
		"gap":              {string(batchJSON(t, ok, Event{Seq: 3, Kind: StepOpened, At: at, Step: "a"})), "follow one another"},
		"no time":          {string(batchJSON(t, Event{Seq: 1, Kind: StepOpened, Step: "a"})), "no time"},
		"bad step":         {string(batchJSON(t, Event{Seq: 1, Kind: StepOpened, At: at, Step: "<b>x</b>"})), "not an id"},
		"no step":          {string(batchJSON(t, Event{Seq: 1, Kind: Verdict, At: at})), "empty id"},
		"bad outcome":      {string(batchJSON(t, Event{Seq: 1, Kind: Verdict, At: at, Step: "a", Checks: []CheckOutcome{{ID: "c", Outcome: "meh"}}})), "unknown outcome"},
		"check twice":      {string(batchJSON(t, Event{Seq: 1, Kind: Verdict, At: at, Step: "a", Checks: []CheckOutcome{{ID: "c", Outcome: Failed}, {ID: "d", Outcome: Passed}, {ID: "c", Outcome: Failed}}})), "twice"},
		"verdict on hint":  {string(batchJSON(t, Event{Seq: 1, Kind: HintShown, At: at, Step: "a", Hint: 1, Passed: true})), "carries no verdict"},
		"hint without no.": {string(batchJSON(t, Event{Seq: 1, Kind: HintShown, At: at, Step: "a"})), "hint 0"},
		"readiness step":   {string(batchJSON(t, Event{Seq: 1, Kind: Ready, At: at, Step: "a", Readiness: &Readiness{}})), "names no step"},
		"readiness ref":    {string(batchJSON(t, Event{Seq: 1, Kind: Ready, At: at, Readiness: &Readiness{Images: []ImageReadiness{{Ref: "a b"}}}})), "not an image reference"},
		"image state":      {string(batchJSON(t, Event{Seq: 1, Kind: Ready, At: at, Readiness: &Readiness{Images: []ImageReadiness{{Ref: "alpine:3.22", State: "pinned-ish"}}}})), "unknown state"},
		"too large":        {`{"format":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "over"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeBatch(strings.NewReader(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"  Alice   Smith ":                        "Alice Smith",
		"=HYPERLINK(\"x\")":                       "=HYPERLINK(\"x\")", // exports escape formulas, not the store
		"<script>alert(1)</script>":               "<script>alert(1)</script>",
		"Bob\u202eevil\u200b\x00\n":               "Bobevil",
		strings.Repeat("é", 60):                   strings.Repeat("é", MaxNameRunes),
		"\xff\xfe":                                "",
		"a" + strings.Repeat(" ", 10) + "b\t\tc ": "a b c",
	} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeBatch: whatever a learner (or anyone) posts, the decoder
// answers an error or a batch every event of which validates, and never
// panics.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"format":"dockertutor.events/1","events":[{"seq":1,"kind":"verdict","at":"2026-12-02T09:00:00Z","step":"leak-build","checks":[{"id":"leak","outcome":"failed"}]}]}`))
	f.Add([]byte(`{"format":"dockertutor.events/1","events":[{"seq":1,"kind":"readiness","at":"2026-12-02T09:00:00Z","readiness":{"docker":true,"images":[{"ref":"node:24","present":false}]}}]}`))
	f.Add([]byte(`{"format":"dockertutor.events/1","events":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i, e := range b.Events {
			if err := e.Validate(); err != nil {
				t.Fatalf("event %d decoded but does not validate: %v", i, err)
			}
		}
	})
}

func FuzzCleanName(f *testing.F) {
	f.Add("Alice")
	f.Add("\u202e<b>")
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanName(s)
		if len([]rune(got)) > MaxNameRunes || strings.ContainsAny(got, "\n\r\t\x00") || got != strings.TrimSpace(got) {
			t.Fatalf("CleanName(%q) = %q", s, got)
		}
		if CleanName(got) != got {
			t.Fatalf("CleanName is not stable on %q", got)
		}
	})
}

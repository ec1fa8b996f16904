package pins

import (
	"strings"

	"github.com/moby/moby/api/types/jsonstream"
)

// Phase is where one image's pull is.
type Phase string

const (
	// Loading: the daemon reads the layers from a bundle (prepare --from).
	Loading Phase = "loading"
	// Resolving: the daemon asks the registry for the manifest.
	Resolving Phase = "resolving"
	// Downloading: some layer is still being fetched.
	Downloading Phase = "downloading"
	// Extracting: every layer is fetched, some are still being unpacked.
	Extracting Phase = "extracting"
	// Tagging: the pull completed; the tag is being made.
	Tagging Phase = "tagging"
	// Done: the image is there under its tag.
	Done Phase = "done"
)

// Progress is one image's pull so far, summed over its layers.
type Progress struct {
	Ref   string
	Phase Phase
	// Done and Total are bytes fetched and to fetch, over the layers whose
	// size the daemon said; Total grows as layers start.
	Done, Total int64
	// Layers is how many layers the daemon named; LayersDone of them are
	// there (pulled, or already on the daemon).
	Layers, LayersDone int
	// Fraction is how far the whole pull is, 0 to 1, for a bar: every
	// layer weighs the same, since a layer's size is known only once it
	// starts.
	Fraction float64
}

type layerState int

const (
	layerWaiting layerState = iota
	layerDownloading
	layerDownloaded
	layerComplete
	layerExisted // on the daemon before the pull: no work, so not in Fraction
)

type layer struct {
	state          layerState
	current, total int64
}

// progressTracker folds the daemon's pull messages into Progress. Both
// engines' streams are read alike (testdata/pull-engine*.jsonl); they
// differ in that the containerd image store reports extraction in
// seconds ("units": "s"), not bytes, and may never give a small layer's
// size.
type progressTracker struct {
	ref    string
	order  []string
	layers map[string]*layer
	phase  Phase
}

func newProgressTracker(ref string) *progressTracker {
	return &progressTracker{ref: ref, layers: map[string]*layer{}, phase: Resolving}
}

// add folds in one message; it reports whether the message changed
// anything a bar shows.
func (p *progressTracker) add(m jsonstream.Message) bool {
	if strings.HasPrefix(m.Status, "Status: ") || strings.HasPrefix(m.Status, "Digest: ") {
		return false // the end lines; Pull says done once the tag is made
	}
	if m.ID == "" || strings.HasPrefix(m.Status, "Pulling from ") {
		return false
	}
	l := p.layers[m.ID]
	if l == nil {
		l = &layer{}
		p.layers[m.ID] = l
		p.order = append(p.order, m.ID)
	}
	switch m.Status {
	case "Pulling fs layer", "Waiting":
	case "Downloading":
		l.state = max(l.state, layerDownloading)
		if m.Progress != nil && m.Progress.Units == "" && m.Progress.Total > 0 {
			l.current, l.total = m.Progress.Current, m.Progress.Total
		}
	case "Verifying Checksum", "Download complete", "Extracting":
		l.state = max(l.state, layerDownloaded)
		l.current = l.total
	case "Pull complete":
		l.state = layerComplete
		l.current = l.total
	case "Already exists":
		l.state = layerExisted
	default:
		return false // "Retrying in 5 seconds" and the like change no figure
	}
	// Layers the daemon already had are no work: the phase follows the
	// others (and stays resolving while only those were named).
	work, fetching := 0, false
	for _, l := range p.layers {
		if l.state != layerExisted {
			work++
			fetching = fetching || l.state < layerDownloaded
		}
	}
	switch {
	case fetching:
		p.phase = Downloading
	case work > 0:
		p.phase = Extracting
	}
	return true
}

func (p *progressTracker) progress() Progress {
	pr := Progress{Ref: p.ref, Phase: p.phase, Layers: len(p.order)}
	// Fraction counts the layers the pull fetches: by bytes once each of
	// them said its size, else each layer alike; the extraction fills the
	// rest as layers complete.
	var work, complete int
	var perLayer float64
	sized := true
	var done, total int64
	for _, id := range p.order {
		l := p.layers[id]
		pr.Done += l.current
		pr.Total += l.total
		if l.state == layerExisted {
			pr.LayersDone++
			continue
		}
		work++
		done, total = done+l.current, total+l.total
		if l.total == 0 && l.state < layerDownloaded {
			sized = false
		}
		switch l.state {
		case layerComplete:
			pr.LayersDone++
			complete++
			perLayer++
		case layerDownloaded:
			perLayer += downloadShare
		case layerDownloading:
			if l.total > 0 {
				perLayer += downloadShare * float64(l.current) / float64(l.total)
			}
		}
	}
	switch {
	case work == 0:
		pr.Fraction = 0
	case sized && total > 0:
		pr.Fraction = downloadShare*float64(done)/float64(total) + (1-downloadShare)*float64(complete)/float64(work)
	default:
		pr.Fraction = perLayer / float64(work)
	}
	pr.Fraction = min(1, pr.Fraction) // sums of shares can round past it
	return pr
}

// downloadShare is the part of a layer's bar its download fills; the
// rest is its extraction, which the containerd store reports only as time.
const downloadShare = 0.9

package grades

import (
	"encoding/xml"
	"io"
	"strings"
	"unicode/utf8"
)

// The JUnit XML that CI servers read (Jenkins, GitLab, GitHub actions
// that publish test results): a suite per learner, a case per step.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     int64        `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       int64           `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      int64         `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
	Skipped   *junitSkipped `xml:"skipped"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func writeJUnit(w io.Writer, s Sheet) error {
	doc := junitSuites{Name: xmlText(s.Course)}
	at := stamp(s.Generated)
	index := map[string]int{} // learner id -> suite, in the order learners first appear
	for _, r := range s.Rows {
		i, ok := index[r.Learner]
		if !ok {
			i = len(doc.Suites)
			index[r.Learner] = i
			doc.Suites = append(doc.Suites, junitSuite{
				Name: xmlText(suiteName(r)), Timestamp: at,
				Properties: []junitProperty{{"learner", xmlText(r.Learner)}, {"name", xmlText(r.Name)}},
			})
		}
		suite := &doc.Suites[i]
		c := junitCase{Classname: xmlText(r.Lesson), Name: xmlText(caseName(r)), Time: seconds(r.TimeOnStep)}
		switch {
		case r.Passed():
		case r.Skipped():
			c.Skipped = &junitSkipped{Message: "optional step skipped"}
			suite.Skipped++
		default:
			msg := xmlText(r.Summary())
			c.Failure = &junitFailure{Message: msg, Type: xmlText(r.StatusWord()), Text: msg}
			suite.Failures++
		}
		suite.Tests++
		suite.Time += c.Time
		suite.Cases = append(suite.Cases, c)
	}
	for _, suite := range doc.Suites {
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Skipped += suite.Skipped
		doc.Time += suite.Time
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// suiteName names a learner's suite by display name and id, so that two
// learners who chose one name stay apart: "Ada (ada-3f9a2c)".
func suiteName(r Row) string {
	if r.Name == "" || r.Name == r.Learner {
		return r.Learner
	}
	return r.Name + " (" + r.Learner + ")"
}

// xmlText is s without what XML 1.0 cannot hold: invalid UTF-8 and the
// control characters other than tab and line breaks. encoding/xml
// escapes markup (< & ") but writes such characters as U+FFFD, which no
// one named themselves with.
func xmlText(s string) string {
	if !strings.ContainsFunc(s, notXMLChar) && utf8.ValidString(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if notXMLChar(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// notXMLChar is a character outside XML 1.0's Char production.
func notXMLChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF, r > 0x10FFFF:
		return true
	}
	return false
}

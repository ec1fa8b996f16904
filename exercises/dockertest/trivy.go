package dockertest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	trivydb "github.com/aquasecurity/trivy-db/pkg/db"
	trivytypes "github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/bucket"
	bolt "go.etcd.io/bbolt"
)

// Trivy is the trivy binary a test scans with: $DOCKERTUTOR_TRIVY, else
// trivy on PATH; "" when there is none (the test says so), unless
// DOCKERTUTOR_REQUIRE_TRIVY is set, which fails the test then.
func Trivy(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("DOCKERTUTOR_TRIVY"); p != "" {
		return p
	}
	if p, err := exec.LookPath("trivy"); err == nil {
		return p
	}
	if os.Getenv("DOCKERTUTOR_REQUIRE_TRIVY") != "" {
		t.Fatal("DOCKERTUTOR_REQUIRE_TRIVY is set but there is no trivy: set DOCKERTUTOR_TRIVY or put trivy on PATH")
	}
	t.Log("no trivy here (set DOCKERTUTOR_TRIVY or put trivy on PATH): what needs it is not proven")
	return ""
}

// The one advisory of TrivyDB's database: busybox of Alpine 3.22 before
// TrivyFixed. The ID is of a kind no real advisory has.
const (
	TrivyAdvisory = "CVE-2099-0001"
	TrivyFixed    = "1.37.0-r19"
)

// TrivyDB writes a vulnerability database into cacheDir's db folder as
// `trivy image --download-db-only` leaves it there: trivy.db written by
// trivy-db's own writer (schema 2, the format trivy reads) and
// metadata.json saying it was downloaded at downloaded and was due again
// a day later. The registry trivy downloads the real one from cannot be
// reached here; this one holds TrivyAdvisory alone, so a scan that finds
// it proves the database it read is this one.
func TrivyDB(t testing.TB, cacheDir string, downloaded time.Time) {
	t.Helper()
	dir := filepath.Join(cacheDir, "db")
	if err := trivydb.Init(dir); err != nil {
		t.Fatal(err)
	}
	// As trivy-db's own build lays it out: the advisory put by package
	// and platform, then copied into the platform's bucket (its
	// optimize step), and the vulnerability's summary; its staging
	// bucket is then dropped.
	alpine := bucket.NewAlpine("3.22").Name()
	dbc := trivydb.Config{}
	err := dbc.BatchUpdate(func(tx *bolt.Tx) error {
		if err := dbc.PutDataSource(tx, alpine, trivytypes.DataSource{ID: "alpine", Name: "Alpine Secdb"}); err != nil {
			return err
		}
		if err := dbc.PutAdvisoryDetail(tx, TrivyAdvisory, "busybox", []string{alpine}, trivytypes.Advisory{FixedVersion: TrivyFixed}); err != nil {
			return err
		}
		if err := dbc.SaveAdvisoryDetails(tx, TrivyAdvisory); err != nil {
			return err
		}
		return dbc.PutVulnerability(tx, TrivyAdvisory, trivytypes.Vulnerability{
			Title: "a test advisory of dockertutor's", Severity: trivytypes.SeverityHigh.String(),
		})
	})
	if err == nil {
		err = dbc.DeleteAdvisoryDetailBucket()
	}
	if cerr := trivydb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	meta, err := json.Marshal(map[string]any{
		"Version":      trivydb.SchemaVersion,
		"NextUpdate":   downloaded.Add(24 * time.Hour).UTC(),
		"UpdatedAt":    downloaded.Add(-time.Hour).UTC(),
		"DownloadedAt": downloaded.UTC(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
}

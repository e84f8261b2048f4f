package sqlstore

import (
	"bufio"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// RequiredQueries are the names every dialect must define. List queries
// (with {{cmp}}) are named without their Asc/Desc suffix.
var RequiredQueries = []string{
	"CreateAccount", "FindAccountByID", "FindAccounts", "CountAccounts",
	"CreateUser", "FindUserByEmail",
	"CreateAPIKey", "FindAPIKeyByID", "FindAPIKeyByIDForUpdate", "FindAPIKeyCredential", "FindAPIKeyByHash", "FindRecentAPIKeys", "UpdateAPIKeyCredits",
	"FindAPIKeys", "CountAPIKeys", "UpdateAPIKey",
	"CreateEvent", "FindEvents", "CountEvents",
	"LockChanges", "RecordChange", "NotifyChange", "FindChanges", "LastChangeSeq", "TouchAPIKey",
	"FindAPIKeysExpiryDue",
	"CreateNotificationSetting", "UpdateNotificationSetting", "DeleteNotificationSetting",
	"FindNotificationSettingByID", "FindNotificationSettings", "CountNotificationSettings",
	"CreateNotification", "UpdateNotification", "FindNotificationByID", "FindNotifications", "CountNotifications",
	"ClaimNotifications", "CreateNotificationLog", "FindNotificationLogs", "CountNotificationLogs",
	"FindEventByID",
	"CreateSession", "FindSession", "DeleteSession", "DeleteExpiredSessions", "CountUsers", "FindUserByID",
	"AddAPIKeyUsage", "FindAPIKeyUsage",
	"CreateClientToken", "UpdateClientToken", "FindClientTokenByID", "FindClientTokenByToken", "FindClientTokens", "CountClientTokens",
	"CreatePartner", "FindPartnerByID", "FindPartnerByKeyID", "LinkUserAPIKey", "FindUserOfAPIKey",
	"CreateMagicCode", "RedeemMagicCode", "UpdateAccountBusiness", "FindAccountBusiness",
	"CreateAPIKeyRotation", "UpdateAPIKeyRotation", "FindAPIKeyRotationByID", "FindAPIKeyRotations",
	"CountAPIKeyRotations", "FindLiveAPIKeyRotations",
	"InitSetting", "FindSetting",
	"CreateAPIKeyExposure", "FindAPIKeyExposure", "FindAPIKeyExposures", "CountAPIKeyExposures",
	"CountUnseenExposures", "MarkExposuresSeen", "CreateUserMails", "ClaimUserMails", "UpdateUserMail",
	"CountSignInAttempt", "ForgiveSignInAttempt", "ForgetSignInAttempts", "DeleteOldSignInAttempts",
	"LockAuditHead", "CreateAuditEntry", "SetAuditHead", "FindAuditEntries", "CountAuditEntries",
	"FindAuditChain", "FindAuditHeads", "FindAuditKeepFrom", "FindAuditHash", "PruneAuditEntries", "SetAuditAnchor",
}

// LoadQueries reads every *.sql file under dir of fsys and returns its named
// queries, with list queries expanded into their Asc and Desc forms. It fails
// if a name is defined twice or a required name is missing.
func LoadQueries(fsys fs.FS, dir string) (map[string]string, error) {
	files, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	raw := map[string]string{}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		if err := splitQueries(f, string(b), raw); err != nil {
			return nil, err
		}
	}
	out := map[string]string{}
	for name, q := range raw {
		if strings.Contains(q, "{{cmp}}") {
			out[name+"Asc"] = strings.NewReplacer("{{cmp}}", ">", "{{dir}}", "ASC").Replace(q)
			out[name+"Desc"] = strings.NewReplacer("{{cmp}}", "<", "{{dir}}", "DESC").Replace(q)
			continue
		}
		out[name] = q
	}
	for _, name := range RequiredQueries {
		if raw[name] == "" {
			return nil, fmt.Errorf("sqlstore: query %s is not defined under %s", name, dir)
		}
	}
	return out, nil
}

// splitQueries adds the "-- name: X" sections of one file to into.
func splitQueries(file, text string, into map[string]string) error {
	var name string
	var body strings.Builder
	flush := func() error {
		if name == "" {
			return nil
		}
		if _, dup := into[name]; dup {
			return fmt.Errorf("sqlstore: query %s defined twice (again in %s)", name, file)
		}
		into[name] = strings.TrimSuffix(strings.TrimSpace(body.String()), ";")
		body.Reset()
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			if err := flush(); err != nil {
				return err
			}
			name = strings.TrimSpace(n)
			continue
		}
		if name != "" && !strings.HasPrefix(strings.TrimSpace(line), "--") {
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	return flush()
}

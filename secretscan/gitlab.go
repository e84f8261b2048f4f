package secretscan

// GitLabTokenTypes are the token types keygate's GitLab endpoint declares
// revocable: the identifiers of the secret-detection rules that find
// keygate keys (docs/secret-scanning.md gives the rules). Reports of any
// type are examined by the token's shape all the same.
var GitLabTokenTypes = []string{"gitleaks_rule_id_keygate_live_api_key", "gitleaks_rule_id_keygate_sandbox_api_key"}

// GitLabLeak is one token of GitLab's revoke_tokens request.
type GitLabLeak struct {
	Type     string `json:"type"`
	Token    string `json:"token"`
	Location string `json:"location"`
}

package credential

// obfuscatedIDLen is how many characters of the ID an obfuscated key shows.
const obfuscatedIDLen = 10

// Obfuscate returns the form in which an API key is shown after its
// creation: {prefix}_{live|sdbx}_apikey_ + the first 10 characters of its
// ID + "****". p is the key's prefix ("" for DefaultKeyPrefix); entityID is
// the key's ID ("apikey_…").
func Obfuscate(p string, env Env, entityID string) string {
	return orDefault(p) + "_" + env.keyEnv() + "_apikey_" + shortID(entityID) + "****"
}

// ObfuscateLegacy returns the shown form of an imported legacy key. The key
// itself has upper-case letters, which Paddle's pattern for obfuscated keys
// (^[a-z\d_:]*\*\*\*\*$) does not allow, and no environment, so it names
// the entity instead: "apikey_" + the first 10 characters of its ID + "****",
// without the pdl_ marker, as Paddle shows legacy keys.
func ObfuscateLegacy(entityID string) string {
	return "apikey_" + shortID(entityID) + "****"
}

func shortID(entityID string) string {
	body := IDBody(entityID)
	if len(body) > obfuscatedIDLen {
		body = body[:obfuscatedIDLen]
	}
	return body
}

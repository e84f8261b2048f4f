package keygate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// activeKey returns a valid active key created at t0, expiring in 90 days.
func activeKey() *keygate.APIKey {
	return &keygate.APIKey{
		ID: "apikey_01jkdpbhazdpn3wpcya45as9tg", Name: "CRM", Status: keygate.APIKeyActive,
		Permissions: []keygate.Permission{"customer.read"},
		ExpiresAt:   ptr(t0.Add(keygate.DefaultKeyLifetime)), CreatedAt: t0, UpdatedAt: t0,
	}
}

func TestAPIKeyCreateValidate(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		c, err := keygate.APIKeyCreate{Name: "CRM", Description: ptr(""), Permissions: []keygate.Permission{"product.write", "address.read", "address.read"}}.Validate(t0)
		require.NoError(t, err)
		require.Equal(t, t0.Add(90*24*time.Hour), *c.ExpiresAt, "default expiry is 90 days")
		require.Nil(t, c.Description, "an empty description is no description")
		require.Equal(t, []keygate.Permission{"address.read", "product.write"}, c.Permissions)
	})
	t.Run("OneYearExactly", func(t *testing.T) {
		_, err := keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}, ExpiresAt: ptr(t0.AddDate(1, 0, 0))}.Validate(t0)
		require.NoError(t, err)
	})
	tests := []struct {
		name   string
		in     keygate.APIKeyCreate
		fields []string
	}{
		{"ErrNameRequired", keygate.APIKeyCreate{Permissions: []keygate.Permission{"price.read"}}, []string{"name"}},
		{"ErrNameBlank", keygate.APIKeyCreate{Name: "   ", Permissions: []keygate.Permission{"price.read"}}, []string{"name"}},
		{"ErrNameTooLong", keygate.APIKeyCreate{Name: strings.Repeat("é", 151), Permissions: []keygate.Permission{"price.read"}}, []string{"name"}},
		{"ErrDescriptionTooLong", keygate.APIKeyCreate{Name: "k", Description: ptr(strings.Repeat("x", 251)), Permissions: []keygate.Permission{"price.read"}}, []string{"description"}},
		{"ErrNoPermissions", keygate.APIKeyCreate{Name: "k"}, []string{"permissions"}},
		{"ErrUnknownPermission", keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read", "price.delete"}}, []string{"permissions"}},
		{"ErrExpiryPast", keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}, ExpiresAt: ptr(t0.Add(-time.Second))}, []string{"expires_at"}},
		{"ErrExpiryNow", keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}, ExpiresAt: ptr(t0)}, []string{"expires_at"}},
		{"ErrExpiryOverOneYear", keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}, ExpiresAt: ptr(t0.AddDate(1, 0, 0).Add(time.Second))}, []string{"expires_at"}},
		{"ErrAllAtOnce", keygate.APIKeyCreate{Description: ptr(strings.Repeat("x", 251))}, []string{"name", "description", "permissions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.in.Validate(t0)
			require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))
			var fields []string
			for _, f := range keygate.ErrorFields(err) {
				fields = append(fields, f.Field)
			}
			require.Equal(t, tt.fields, fields)
		})
	}
}

func TestAPIKeyStatusAt(t *testing.T) {
	t.Parallel()
	k := activeKey()
	require.Equal(t, keygate.APIKeyActive, k.StatusAt(k.ExpiresAt.Add(-time.Nanosecond)))
	require.Equal(t, keygate.APIKeyExpired, k.StatusAt(*k.ExpiresAt), "expired at expires_at, whatever the stored status")
	require.NoError(t, k.Revoke(t0, keygate.RevokedByUser))
	require.Equal(t, keygate.APIKeyRevoked, k.StatusAt(k.ExpiresAt.Add(time.Hour)), "a revoked key stays revoked")
}

func TestAPIKeyReactivate(t *testing.T) {
	t.Parallel()
	revokedAt := t0.Add(time.Hour)
	revoked := func(by keygate.Revoker) *keygate.APIKey {
		k := activeKey()
		require.NoError(t, k.Revoke(revokedAt, by))
		return k
	}
	t.Run("OKAt59Minutes", func(t *testing.T) {
		k := revoked(keygate.RevokedByUser)
		now := revokedAt.Add(59 * time.Minute)
		require.Equal(t, "Recently revoked", k.Label(now))
		require.NoError(t, k.Reactivate(now))
		require.Equal(t, keygate.APIKeyActive, k.StatusAt(now))
		require.Nil(t, k.RevokedAt)
		require.Equal(t, now, k.UpdatedAt)
	})
	t.Run("ErrAt61Minutes", func(t *testing.T) {
		k := revoked(keygate.RevokedByUser)
		now := revokedAt.Add(61 * time.Minute)
		require.Equal(t, "Revoked", k.Label(now))
		err := k.Reactivate(now)
		require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(err))
		require.Equal(t, keygate.APIKeyRevoked, k.Status, "a refused reactivation changes nothing")
	})
	t.Run("ErrAtExactly60Minutes", func(t *testing.T) {
		err := revoked(keygate.RevokedByUser).Reactivate(revokedAt.Add(60 * time.Minute))
		require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(err))
	})
	t.Run("ErrSystemRevoked", func(t *testing.T) {
		err := revoked(keygate.RevokedBySystem).Reactivate(revokedAt.Add(time.Minute))
		require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(err))
	})
	t.Run("ErrLegacy", func(t *testing.T) {
		k := activeKey()
		k.Legacy, k.Permissions, k.ExpiresAt = true, nil, nil
		require.NoError(t, k.Revoke(revokedAt, keygate.RevokedByUser))
		require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(k.Reactivate(revokedAt.Add(time.Minute))))
	})
	t.Run("ErrPastExpiry", func(t *testing.T) {
		k := activeKey()
		k.ExpiresAt = ptr(revokedAt.Add(10 * time.Minute))
		require.NoError(t, k.Revoke(revokedAt, keygate.RevokedByUser))
		require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(k.Reactivate(revokedAt.Add(11*time.Minute))))
	})
	t.Run("ErrNotRevoked", func(t *testing.T) {
		require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(activeKey().Reactivate(t0)))
	})
}

func TestAPIKeyRevoke(t *testing.T) {
	t.Parallel()
	k := activeKey()
	require.NoError(t, k.Revoke(t0, keygate.RevokedByUser))
	require.Equal(t, keygate.CodeConflict, keygate.ErrorCode(k.Revoke(t0, keygate.RevokedByUser)))
	expired := activeKey()
	require.Equal(t, keygate.CodeConflict, keygate.ErrorCode(expired.Revoke(*expired.ExpiresAt, keygate.RevokedByUser)))
	require.Equal(t, keygate.APIKeyActive, expired.Status)
}

func TestAPIKeyApply(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		k := activeKey()
		exp := *k.ExpiresAt
		later := t0.Add(time.Hour)
		changed, err := k.Apply(later, keygate.APIKeyUpdate{Name: ptr("CRM 2"), Description: ptr("sync"), Permissions: &[]keygate.Permission{"customer.write"}})
		require.NoError(t, err)
		require.True(t, changed)
		require.Equal(t, "CRM 2", k.Name)
		require.Equal(t, "sync", *k.Description)
		require.Equal(t, exp, *k.ExpiresAt, "an update never changes the expiry")
		require.Equal(t, later, k.UpdatedAt)
	})
	t.Run("NoChange", func(t *testing.T) {
		k := activeKey()
		changed, err := k.Apply(t0.Add(time.Hour), keygate.APIKeyUpdate{Name: ptr(k.Name)})
		require.NoError(t, err)
		require.False(t, changed)
		require.Equal(t, t0, k.UpdatedAt)
	})
	t.Run("ErrInvalidLeavesKeyUntouched", func(t *testing.T) {
		k := activeKey()
		_, err := k.Apply(t0, keygate.APIKeyUpdate{Name: ptr("new"), Permissions: &[]keygate.Permission{}})
		require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))
		require.Equal(t, "CRM", k.Name)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		k := activeKey()
		_, err := k.Apply(*k.ExpiresAt, keygate.APIKeyUpdate{Name: ptr("new")})
		require.Equal(t, keygate.CodeConflict, keygate.ErrorCode(err))
	})
}

func TestAPIKeyLabel(t *testing.T) {
	t.Parallel()
	k := activeKey()
	require.Equal(t, "Active", k.Label(t0))
	require.Equal(t, "Expiring soon", k.Label(k.ExpiresAt.Add(-keygate.ExpiringNotice)))
	require.Equal(t, "Expired", k.Label(*k.ExpiresAt))
}

func TestPermissionSet(t *testing.T) {
	t.Parallel()
	require.Len(t, keygate.Permissions, 37)
	s := keygate.NewPermissionSet([]keygate.Permission{"customer.write", "price.read"})
	require.True(t, s.Has("customer.write"))
	require.True(t, s.Has("customer.read"), "write implies read")
	require.True(t, s.Has("price.read"))
	require.False(t, s.Has("price.write"), "read does not imply write")
	require.False(t, s.Has("address.read"))
	require.False(t, s.Has("nonsense.read"))
	require.True(t, s.HasBit(keygate.PermissionBit("customer.read")))
	require.False(t, s.HasBit(keygate.PermissionBit("nonsense.read")), "an unknown permission is never held")
	for _, p := range keygate.Permissions {
		require.True(t, keygate.AllPermissionSet.Has(p), p)
	}
	require.Equal(t, keygate.Permissions, keygate.ParsePermissions("all"))
	require.Equal(t, []keygate.Permission{"a.read", "b.write"}, keygate.ParsePermissions(" a.read, b.write,"))
}

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	require.Equal(t, "", keygate.ErrorCode(nil))
	require.Equal(t, keygate.CodeInternal, keygate.ErrorCode(errPlain("boom")))
	require.Equal(t, "Internal error.", keygate.ErrorMessage(errPlain("boom")))
	nf := keygate.NotFound("apikey_x")
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(nf))
	require.Equal(t, "Entity apikey_x not found", keygate.ErrorMessage(nf))
}

type errPlain string

func (e errPlain) Error() string { return string(e) }

package api

import (
	"encoding/json"
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api/request"
	"github.com/keygate/keygate/credential"
)

// PartnerIDHeader names the partner of a partner key's request.
const PartnerIDHeader = "Paddle-PartnerID"

// seller reads and checks the request of a partner: it must come with a
// partner key and the Paddle-PartnerID of that key's partner.
func (s *Server) seller(w http.ResponseWriter, r *http.Request) (*keygate.Partner, *request.Seller, keygate.SellerCreate, error) {
	p := principal(r)
	if p.Kind != credential.KindPartnerKey {
		return nil, nil, keygate.SellerCreate{}, keygate.Errorf(keygate.CodeForbidden, "Only a partner key may create seller accounts.")
	}
	if r.Header.Get(PartnerIDHeader) != p.PartnerID {
		return nil, nil, keygate.SellerCreate{}, keygate.Errorf(keygate.CodeForbidden, "The Paddle-PartnerID header must name the partner whose key authenticates the request.")
	}
	partner, err := s.svc.PartnerOfKey(r.Context(), p.CredentialID)
	if err != nil {
		return nil, nil, keygate.SellerCreate{}, err
	}
	var req request.Seller
	if err := decode(w, r, &req); err != nil {
		return nil, nil, keygate.SellerCreate{}, err
	}
	var business struct {
		Name              string  `json:"name"`
		Type              *string `json:"type"`
		StockTickerSymbol *string `json:"stock_ticker_symbol"`
	}
	if len(req.Business) > 0 && json.Unmarshal(req.Business, &business) != nil {
		return nil, nil, keygate.SellerCreate{}, fieldError("business", "must be an object")
	}
	in := keygate.SellerCreate{
		FirstName: req.User.FirstName, LastName: req.User.LastName, Email: req.User.Email, MarketingConsent: req.User.MarketingConsent,
		Password: req.User.Password, BusinessName: business.Name, BusinessType: business.Type, StockTicker: business.StockTickerSymbol, Business: req.Business,
	}
	return partner, &req, in, nil
}

// handleAccountCreate creates a seller account for the partner: 201 with the
// account's api_key and its primary user's user_api_key, shown this once.
func (s *Server) handleAccountCreate(w http.ResponseWriter, r *http.Request) error {
	partner, req, in, err := s.seller(w, r)
	if err != nil {
		return err
	}
	seller, err := s.svc.CreateSeller(r.Context(), partner, in)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusCreated, map[string]any{
		"id": seller.Account.ID,
		"user": map[string]any{"id": seller.User.ID, "first_name": req.User.FirstName, "last_name": req.User.LastName,
			"email": seller.User.Email, "marketing_consent": req.User.MarketingConsent},
		"business": req.Business, "api_key": seller.APIKey, "user_api_key": seller.UserAPIKey,
	})
	return nil
}

// handleAccountValidate checks a seller as POST /accounts would, and
// creates nothing: 204 when it would pass.
func (s *Server) handleAccountValidate(w http.ResponseWriter, r *http.Request) error {
	partner, _, in, err := s.seller(w, r)
	if err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if taken, err := s.svc.EmailTaken(r.Context(), partner.Environment, in.Email); err != nil {
		return err
	} else if taken {
		return fieldError("user.email", "is already taken")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

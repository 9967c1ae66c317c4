package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
)

var (
	officers   = []notices.Role{notices.RoleOfficer, notices.RoleSupervisor, notices.RoleAdmin}
	supervisor = []notices.Role{notices.RoleSupervisor, notices.RoleAdmin}
	finance    = []notices.Role{notices.RoleFinance, notices.RoleAdmin}
	admins     = []notices.Role{notices.RoleAdmin}
	readers    = []notices.Role{notices.RoleOfficer, notices.RoleSupervisor, notices.RoleFinance, notices.RoleAdmin}
)

func (s *Server) routes() {
	s.middleware()
	app := s.app
	app.Get("/healthz", s.health)

	api := app.Group("/api/v1")
	api.Get("/openapi.json", s.openAPI)

	public := s.rateLimit(s.cfg.RateLimit, time.Minute)
	api.Get("/violations", public, s.listViolations)
	api.Get("/notices/:nav/qr.svg", public, s.noticeQR("svg"))
	api.Get("/notices/:nav/qr.png", public, s.noticeQR("png"))
	api.Get("/notices/:nav/deadlines.ics", public, s.noticeDeadlines)
	api.Get("/notices/:nav", public, s.getNotice)
	api.Post("/notices/:nav/payments", public, s.pay)
	api.Get("/receipts/:id.pdf", public, s.receiptPDF)
	api.Get("/receipts/:id/proof", public, s.receiptProof)
	api.Get("/receipts/:id", public, s.getReceipt)
	api.Post("/scan", s.rateLimit(scaled(s.cfg.RateLimit, 2), time.Minute), s.scan)

	login := s.rateLimit(scaled(s.cfg.RateLimit, 1), time.Minute)
	api.Post("/auth/login", login, s.login)
	api.Post("/auth/refresh", login, s.refresh)
	api.Post("/auth/logout", login, s.logout)

	api.Post("/fines/import", s.requireRole(officers...), s.importFines)
	api.Post("/fines", s.requireRole(officers...), s.issueFine)
	api.Get("/fines", s.requireRole(readers...), s.listFines)
	api.Get("/fines.csv", s.requireRole(readers...), s.exportFines)
	api.Post("/fines/notices.pdf", s.requireRole(officers...), s.batchNoticePDF)
	api.Get("/fines/:id/notice.pdf", s.requireRole(officers...), s.noticePDF)
	api.Get("/fines/:id", s.requireRole(readers...), s.getFine)
	api.Post("/fines/:id/notification", s.requireRole(officers...), s.notify)
	api.Post("/fines/:id/cancellation", s.requireRole(supervisor...), s.cancel)
	api.Post("/fines/:id/correction", s.requireRole(supervisor...), s.correct)
	api.Get("/fines/:id/history", s.requireRole(readers...), s.fineHistory)

	api.Post("/users", s.requireRole(admins...), s.createUser)
	api.Get("/users", s.requireRole(admins...), s.listUsers)
	api.Patch("/users/:username", s.requireRole(admins...), s.updateUser)

	s.financeRoutes(api)
	s.verbaleRoutes(api)
	s.driverRoutes(api)

	pspg := app.Group("/psp/v1", s.rateLimit(s.cfg.RateLimit, time.Minute))
	pspg.Post("/tokens", s.tokenize)

	if s.cfg.Station != nil && !s.cfg.StationOwnListener {
		app.Post(stationPath, s.paForNode)
	}

	s.appRoutes()
}

// scaled divides a per-minute limit for costlier routes, keeping 0 as off.
func scaled(perMinute, div int) int {
	if perMinute <= 0 {
		return 0
	}
	return max(perMinute/div, 5)
}

// financeRoutes are the finance office's and the administrator's.
func (s *Server) financeRoutes(api fiber.Router) {
	api.Get("/ledger", s.requireRole(finance...), s.ledgerHead)
	api.Get("/ledger/consistency", s.requireRole(finance...), s.ledgerConsistency)
	api.Get("/admin/backup", s.requireRole(admins...), s.backup)
	api.Get("/stats", s.requireRole(finance...), s.stats)
	api.Get("/reconciliation", s.requireRole(finance...), s.reconciliation)
	api.Post("/reconciliation/flows", s.requireRole(finance...), s.uploadFlows)
	api.Get("/reconciliation/flows/:id", s.requireRole(finance...), s.flowHistory)
	api.Post("/reconciliation/flows/:id/withdrawal", s.requireRole(finance...), s.withdrawFlow)
	api.Post("/reconciliation/bank-statements", s.requireRole(finance...), s.uploadBankStatement)
	api.Get("/reconciliation/psp-flow", s.requireRole(finance...), s.pspFlow)
	api.Post("/reconciliation/fdr/sync", s.requireRole(finance...), s.syncFdR)
	api.Get("/refunds", s.requireRole(finance...), s.refunds)
}

// appRoutes serve the embedded web app. Hashed assets are immutable; the
// HTML, manifest and service worker are revalidated so a deploy shows up.
func (s *Server) appRoutes() {
	s.app.Get("/*", s.serveApp)
	s.app.Head("/*", s.serveApp)
}

// verbaleRoutes are the routes of issue 18: the verbale's content, its
// notifications and their outcomes, the notification terms, the
// supervisor's decision on a void fine, and art. 126-bis.
func (s *Server) verbaleRoutes(api fiber.Router) {
	public := s.rateLimit(scaled(s.cfg.RateLimit, 2), time.Minute)
	api.Post("/notices/:nav/driver", public, s.submitDriver)

	api.Put("/fines/:id/verbale", s.requireRole(officers...), s.putVerbale)
	api.Post("/fines/:id/notifications", s.requireRole(officers...), s.sendNotification)
	api.Post("/fines/:id/notifications/:n/outcome", s.requireRole(officers...), s.recordOutcome)
	api.Post("/notification-outcomes/import", s.requireRole(officers...), s.importOutcomes)
	api.Get("/notification-terms", s.requireRole(officers...), s.notificationTerms)
	api.Post("/notification-terms/sweep", s.requireRole(supervisor...), s.sweepNotificationTerms)
	api.Post("/fines/:id/void-decision", s.requireRole(supervisor...), s.decideVoid)
	api.Get("/driver-identifications", s.requireRole(officers...), s.listDriverIdentifications)
	api.Post("/fines/:id/driver-identification/review", s.requireRole(officers...), s.reviewDriver)
	api.Post("/fines/:id/driver-penalty", s.requireRole(officers...), s.issueDriverPenalty)
	api.Get("/licence-points", s.requireRole(officers...), s.licencePoints)
}

// stationApp is the station alone, for a listener of its own.
func (s *Server) stationApp() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName: "multa-pagopa",
		// Four times the station's own bound: a body up to that is read and
		// answered by the station (a KO of its operation); beyond it
		// stationError answers a SOAP fault without reading further.
		BodyLimit:             4 * pagopa.MaxBody,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           90 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          s.stationError,
		JSONEncoder:           jsonMarshal,
	})
	app.Use(recover.New())
	app.Use(rejectContentEncoding)
	app.Post(stationPath, s.paForNode)
	return app
}

// driverRoutes are the routes of issue 14: a driver's fines by plate (with
// a proof), paying several at once, the evidence photos and requests for
// review in autotutela, with the office's side of the last two. The
// driver's routes share one rate limit per client, tighter than the other
// public routes': each lookup tries a plate and a number together.
func (s *Server) driverRoutes(api fiber.Router) {
	lookups := s.rateLimit(scaled(s.cfg.RateLimit, 4), time.Minute)
	api.Post("/plates/fines", lookups, s.finesByPlate)
	api.Post("/carts/payments", s.rateLimit(s.cfg.RateLimit, time.Minute), s.payCart)
	api.Get("/notices/:nav/photos/:n", lookups, s.driverPhoto)
	api.Post("/notices/:nav/reviews", lookups, s.submitReview)

	api.Post("/fines/:id/photos", s.requireRole(officers...), s.addPhotos)
	api.Get("/fines/:id/photos/:n", s.requireRole(readers...), s.officePhoto)
	api.Get("/reviews", s.requireRole(officers...), s.listReviews)
	api.Post("/fines/:id/review-decision", s.requireRole(supervisor...), s.decideReview)
}

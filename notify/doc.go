// Package notify delivers notifications: every event, to every destination
// subscribed to it, as a signed webhook or an e-mail, at least once.
//
// Notifications are written with their event, in the transaction of the
// change (package app), so they are the delivery queue: the Dispatcher
// claims the due ones for a lease, delivers them, and records each attempt
// and the next retry on the environment's RetrySchedule. A process that
// dies mid-delivery loses nothing: its claims lapse and another (or the same,
// restarted) claims them again. Receivers de-duplicate by event_id.
package notify

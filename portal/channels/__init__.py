"""Every channel into one queue: inbound mail (IMAP and an MTA's pipe) and tickets staff file for customers."""

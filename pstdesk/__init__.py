"""PST Desk: the online statistical consultation desk of BPS statistics offices."""

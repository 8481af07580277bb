"""Service levels: business calendars, support plans' targets, deadlines and their pauses."""

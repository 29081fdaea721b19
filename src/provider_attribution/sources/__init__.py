"""Source formats turned into attribution inputs: CMS's CCLF files."""

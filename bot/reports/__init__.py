"""Staff reports: figures computed from the stored records, written as tables, text and charts."""

"""What other systems call on running episodes and the record: updates, queries, status, doctor."""

"""Client portal for therapy and counseling practices: one import root for every Lambda function."""

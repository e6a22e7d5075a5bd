CREATE TABLE "captcha_uses" (
	"signature" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "csat_score" integer;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "csat_comment" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "rated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "deleted_by" uuid;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "hcaptcha_secret" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "avatar_url" text;--> statement-breakpoint
ALTER TABLE "visitors" ADD COLUMN "current_page_url" text;--> statement-breakpoint
ALTER TABLE "visitors" ADD COLUMN "current_page_title" text;
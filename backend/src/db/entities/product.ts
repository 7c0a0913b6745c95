import { Column, CreateDateColumn, Entity, PrimaryColumn } from "typeorm";

/** Catalogue row. bigint fen comes back from pg as a string; the transformer makes it a number. */
const fen = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

@Entity({ name: "products" })
export class ProductEntity {
  /** Products belong to a merchant; ids are unique per merchant. */
  @PrimaryColumn({ name: "merchant_id", type: "text" })
  merchantId!: string;

  @PrimaryColumn({ type: "text" })
  id!: string;

  @Column({ type: "text" })
  name!: string;

  @Column({ type: "text", default: "" })
  description!: string;

  @Column({ name: "price_fen", type: "bigint", transformer: fen })
  priceFen!: number;

  @Column({ type: "integer" })
  stock!: number;

  @Column({ name: "image_url", type: "text", nullable: true })
  imageUrl!: string | null;

  @Column({ type: "boolean", default: true })
  active!: boolean;

  @Column({ type: "integer", default: 0 })
  sort!: number;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}
